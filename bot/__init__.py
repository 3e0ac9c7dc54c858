"""六步工作法助手: conversation core, transports and command line."""
