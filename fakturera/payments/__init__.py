"""Incoming payments. So far only `files`: pure readers of the banks' payment files (camt.053/054,
BgMax, Bankgirot's Autogiro reports), with no models and no database; the app that imports,
matches and books payments is built on top of them."""
