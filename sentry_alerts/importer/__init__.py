"""`sentry-alerts import`: write a policy that reproduces an organization's existing alerts.

    connect ─▶ read.py: the backend's own listing (`list_alerts` → neutral `Alert`s), and the
               legacy rules no monitor stands for
            ─▶ entries.py: each alert becomes a policy entry, or a reason it cannot be one
            ─▶ yaml_out.py: the policy's YAML (shared values lifted into `defaults`), with the
               rest listed as comments
            ─▶ run.py: proves the file before writing it — `validate --strict` finds nothing,
               and every entry, materialised as `plan` does, equals its live alert but for
               the ownership marker — else the entry moves to the comments, with the reason

So `plan FILE --adopt` shows only adoptions, and `apply FILE --adopt` updates the alerts in
place (same ids, history and open issues). Docs: docs/importing.md.
"""
