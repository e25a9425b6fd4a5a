#!/usr/bin/env python3
"""Start here: `python run.py serve` runs the whole service; `python run.py --help` lists the parts."""
import sys

from mailflow.cli import main

if __name__ == "__main__":
    sys.exit(main())
