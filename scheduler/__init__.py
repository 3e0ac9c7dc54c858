"""Theme-day rules, reminder dispatch and rate-limited delivery (shared through Redis when
several processes send).

The scheduler only ever holds a `bot.contract.Messenger`, never a framework object.
"""
