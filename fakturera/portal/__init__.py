"""The client portal: persons log in with an e-mail link and download their own invoices."""
