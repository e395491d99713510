#!/usr/bin/env python3
"""Damage an LMDB index folder in one of several ways, reproducibly.

Usage: corrupt.py DIR KIND SEED
Kinds: flip (1-64 random bytes anywhere in data.mdb), meta (bytes of the two
meta pages), page (a random page overwritten with random bytes), zero (a
random page zeroed), truncate (data.mdb cut at a random length), garbage
(data.mdb replaced by random bytes of the same size), empty (data.mdb of
length 0), lock (lock.mdb overwritten with random bytes), missing
(data.mdb removed).  Prints what it did, for the test's log.
"""
import os
import random
import sys

PAGE = 4096


def main():
    d, kind, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rnd = random.Random(seed)
    path = os.path.join(d, "data.mdb")
    size = os.path.getsize(path)
    npages = max(1, size // PAGE)
    with open(path, "r+b") as f:
        if kind == "flip":
            k = rnd.choice([1, 2, 4, 16, 64])
            offs = sorted(rnd.randrange(size) for _ in range(k))
            for o in offs:
                f.seek(o)
                b = f.read(1)[0]
                f.seek(o)
                f.write(bytes([b ^ (1 << rnd.randrange(8))]))
            what = "flipped a bit in %d bytes at %s" % (k, offs[:6])
        elif kind == "meta":
            k = rnd.choice([1, 4, 16])
            offs = sorted(rnd.randrange(min(size, 2 * PAGE)) for _ in range(k))
            for o in offs:
                f.seek(o)
                f.write(bytes([rnd.randrange(256)]))
            what = "set %d bytes of the meta pages at %s" % (k, offs[:6])
        elif kind in ("page", "zero"):
            p = rnd.randrange(2, npages) if npages > 2 else 0
            f.seek(p * PAGE)
            f.write(bytes(PAGE) if kind == "zero" else rnd.randbytes(PAGE))
            what = "%s page %d of %d" % ("zeroed" if kind == "zero" else "random bytes in", p, npages)
        elif kind == "truncate":
            n = rnd.choice([rnd.randrange(1, 2 * PAGE), rnd.randrange(2 * PAGE, size)])
            f.truncate(n)
            what = "truncated to %d of %d bytes" % (n, size)
        elif kind == "garbage":
            f.write(rnd.randbytes(size))
            what = "replaced by %d random bytes" % size
        elif kind == "empty":
            f.truncate(0)
            what = "emptied"
        elif kind == "lock":
            lock = os.path.join(d, "lock.mdb")
            if os.path.exists(lock):
                with open(lock, "r+b") as g:
                    g.write(rnd.randbytes(os.path.getsize(lock)))
            what = "lock.mdb overwritten with random bytes"
        elif kind == "missing":
            what = "data.mdb removed"
        else:
            sys.exit("unknown kind " + kind)
    if kind == "missing":
        os.remove(path)
    print(what)


if __name__ == "__main__":
    main()
