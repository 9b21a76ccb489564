"""Autogiro (Bankgirot direct debit): mandates, payment orders and the payment-order file."""
