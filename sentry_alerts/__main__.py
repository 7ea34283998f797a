from sentry_alerts.cli import main

main()
