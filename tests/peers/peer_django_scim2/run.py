"""Run the conformance suite against django-scim2 in this process; print the verdicts as JSON.

python -m peer_django_scim2.run      (from the directory holding this package)
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_django_scim2.settings")
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.core.wsgi import get_wsgi_application

    from conformance import collect_recordings
    from conformance.runner import Runner
    from conformance.schema_checks import schema_recordings
    from conformance.transport import AppTransport

    transport = AppTransport(get_wsgi_application(), base_url="http://testserver/scim/v2")
    runner = Runner(transport, token=settings.TOKEN)
    recordings, errors = collect_recordings()
    generated = schema_recordings(transport, runner.default_headers())
    run = runner.run([*recordings, *generated.recordings], errors)
    verdicts = {
        f"{r.recording.name}#{s.step.name}": {
            "outcome": s.outcome.value,
            "rfc": s.rfc.value,
            "interop": {k: v.value for k, v in s.interop.items()},
            "quirk": bool(s.step.quirk),
            "summary": s.summary,
        }
        for r in run.results
        for s in r.steps
    }
    json.dump(
        {
            "recordings": {r.recording.name: r.outcome.value for r in run.results},
            "generated": len(generated.recordings),
            "notes": generated.notes,
            "steps": verdicts,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
