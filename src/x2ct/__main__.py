"""``python -m x2ct``: the same command line as the ``x2ct`` script (used by torchrun)."""

from x2ct.cli import main

if __name__ == "__main__":
    main()
