"""``make bench``: figures measured in one run, printed one per line as ``name: value``.

Throughputs are ratios against a bare Litestar app served by the same server (granian) with the same
worker count, measured in the same run: the machine is small and noisy, so only figures from one run
compare.
"""
