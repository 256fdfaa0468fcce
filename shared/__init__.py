"""Pure Python core of Paidui: money, rules, allocation engine, wire schemas, member codes (no Qt, HTTP or SQL)."""
