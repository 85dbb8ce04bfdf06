"""How passwords are stored: Argon2id with OWASP's first recommended configuration.

OWASP's Password Storage Cheat Sheet lists Argon2id with 19 MiB of memory, 2 passes and 1 lane as giving the same
defence as PBKDF2-HMAC-SHA256 at 600,000 iterations, and being memory-hard it resists GPU cracking better. On these
servers it verifies in ~20 ms of CPU against PBKDF2's ~230 ms (Django's 1,000,000 iterations), so a morning's logins
no longer queue every other request. Older PBKDF2 hashes still verify and are rehashed at the next login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"  # same prefix as Django's: a change of parameters alone triggers the rehash
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
