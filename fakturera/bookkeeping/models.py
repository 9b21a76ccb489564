"""Bookkeeping's tables: vouchers, their series and the account mapping come here (issue 16,
"Vouchers"). The SIE 4 format in `sie/` needs none."""
