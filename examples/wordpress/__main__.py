"""``python -m examples.wordpress``: serve the WordPress example with uvicorn on port 8000."""

import os

import uvicorn

uvicorn.run(
    "examples.wordpress.app:app", host="127.0.0.1", port=int(os.environ.get("PORT", "8000"))
)
