"""The warm local daemon: one per user, on a private Unix socket.

It keeps evaluation warm (engines cached per project, rebuilt when a policy or config file
changes), answers hook calls with the rendered bytes, writes receipts and audit records off
the answer path, holds temporary rule disables in memory, and exits when idle.

- :mod:`.server`: the socket, its lifecycle (single instance, idle exit, signals).
- :mod:`.service`: what each request does (hook, status, admin).
- :mod:`.engines`: the warm runtimes per project; :mod:`.disables`: temporary disables.
- :mod:`.trail`: the background recorder.
"""
