import sys

if __name__ == "__main__":  # not when a spawned worker imports this module as its parent's main
    from pipeline.cli import main

    sys.exit(main())
