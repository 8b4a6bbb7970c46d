"""The scheduled weekly report: every Monday 09:00 in ``scheduler.timezone``, each opted-in server's week to its
alerts channel (and the deployment's to ``alerts.channel`` with ``alerts.weekly_report``), once per week."""
