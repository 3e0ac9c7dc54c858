"""Telegram transports. Only these modules import a framework, and only the selected one."""
