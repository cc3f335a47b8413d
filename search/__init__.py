"""Global search: opportunities (name, account, quote number) and cases (number) within what the user may see."""
