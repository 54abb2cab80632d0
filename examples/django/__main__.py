"""``python -m examples.django COMMAND``: ``python examples/django/manage.py COMMAND`` again."""

from examples.django.manage import main

main()
