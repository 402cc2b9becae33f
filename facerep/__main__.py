"""``python -m facerep …``: the same entry point as the ``facerep`` console script."""
from .cli import main

if __name__ == "__main__":
    main()
