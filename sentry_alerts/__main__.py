from sentry_alerts.console import main

main()
