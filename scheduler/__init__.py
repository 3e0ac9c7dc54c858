"""Theme-day rules, reminder dispatch and rate-limited delivery (the reminders issue fills this).

The scheduler only ever holds a `bot.contract.Messenger`, never a framework object.
"""
