"""The embedded AWS emulator: moto served on loopback, plus the project's own additions.

Only importable with the ``[demo]`` extra installed (it needs moto). Nothing outside this
package and the CLI's ``emulator``/``demo`` commands may import it, so Studio users who
install the plain package never pay for moto.
"""
