"""File exports (spreadsheets) that 工委 staff hand on outside the bot."""
