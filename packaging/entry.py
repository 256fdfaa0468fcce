"""The frozen app's entry script: `cashier_app/main.py` uses package-relative imports, so it cannot be the script."""

import sys

from cashier_app.main import main

if __name__ == "__main__":
    sys.exit(main())
