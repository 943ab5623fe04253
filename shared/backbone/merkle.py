"""RFC 6962 / RFC 9162 Merkle trees: the tamper evidence behind the event store.

Every stored event contributes one leaf. The event store keeps a `CompactRange` (the roots of the
perfect subtrees covering the log) next to the events and updates it in the same transaction as
each append, so the current root is always available in O(log n) without re-reading the log.
Signed checkpoints (see `checkpoints.py`) publish that root; inclusion and consistency proofs let
anyone holding a checkpoint check that an event is in the log and that the log only ever grew.

Hashing follows RFC 6962 §2.1 exactly (SHA-256 with 0x00 / 0x01 domain separation), so roots and
proofs interoperate with Certificate Transparency and transparency-dev tooling.

Error convention: functions that *produce* hashes or proofs raise `ValueError` on arguments that
cannot describe a tree (bad sizes, out-of-range indices, hashes that are not 32 bytes), because
that is a programming error. Functions that *verify* take untrusted input and return `False` for
anything that does not check out; they never raise on malformed proofs.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "CompactRange",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1  # tree sizes travel as uint64 (checkpoints, the stored compact range)

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_SIZE_FORMAT = ">Q"
_SIZE_BYTES = struct.calcsize(_SIZE_FORMAT)
_sha256 = hashlib.sha256

EMPTY_ROOT: bytes = _sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the hash of one log entry."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash (RFC 6962 §2.1) of a log whose leaf hashes are `hashes`.

    Works level by level instead of recursing on the split point. Pairing neighbours and carrying
    an unpaired last node up unchanged builds exactly the RFC's left-balanced tree: the left side
    of every RFC split is a perfect subtree of 2^h leaves, so no pair straddles the split below
    height h, and the unpaired node of a level is always the root of the ragged right edge.
    """
    level = list(hashes)
    _require_hashes(level)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [
            _sha256(_NODE_PREFIX + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


@dataclass(frozen=True)
class CompactRange:
    """The state of an append-only log starting at index 0, in O(log n) space.

    `hashes` are the roots of the perfect subtrees that tile leaves [0, size): one per set bit of
    `size`, largest (leftmost) first. That is all an appender needs to compute the next root, and
    it is small enough to live in one bytea column updated by every append transaction.
    """

    size: int
    hashes: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise ValueError(f"tree size {self.size} is outside 0..2^64-1")
        # Accept any sequence but store a tuple, so the value stays immutable and hashable.
        object.__setattr__(self, "hashes", tuple(self.hashes))
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a compact range of size {self.size} holds {self.size.bit_count()} hashes, "
                f"not {len(self.hashes)}"
            )
        _require_hashes(self.hashes)

    @classmethod
    def empty(cls) -> CompactRange:
        return cls(0, ())

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Iterable[bytes]) -> CompactRange:
        return cls.empty().extend(leaf_hashes)

    def append(self, leaf_hash: bytes) -> CompactRange:
        """The range with one more leaf. O(log n): merges one subtree per trailing 1-bit of size."""
        return self.extend((leaf_hash,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> CompactRange:
        """The range with all of `leaf_hashes` appended, in order, without per-leaf objects."""
        stack = list(self.hashes)
        size = self.size
        for new_hash in leaf_hashes:
            _require_hash(new_hash)
            merged = new_hash
            # Each trailing 1-bit of the old size is a perfect subtree the same height as the
            # subtree being carried, so the two combine, exactly like binary addition carries.
            carry = size
            while carry & 1:
                merged = _sha256(_NODE_PREFIX + stack.pop() + merged).digest()
                carry >>= 1
            stack.append(merged)
            size += 1
        return CompactRange(size, tuple(stack))

    def root(self) -> bytes:
        """The Merkle Tree Hash of all `size` leaves.

        RFC 6962 splits off the largest perfect subtree on the left and recurses on the rest, so
        the root is the subtree roots folded together from the right.
        """
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for subtree_root in reversed(self.hashes[:-1]):
            root = node_hash(subtree_root, root)
        return root

    def to_bytes(self) -> bytes:
        """8-byte big-endian size followed by the subtree roots, 32 bytes each."""
        return struct.pack(_SIZE_FORMAT, self.size) + b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        """Inverse of `to_bytes`; raises ValueError if the length does not match the size."""
        if len(data) < _SIZE_BYTES:
            raise ValueError("a serialised compact range starts with an 8-byte size")
        (size,) = struct.unpack_from(_SIZE_FORMAT, data)
        payload = data[_SIZE_BYTES:]
        expected = size.bit_count() * HASH_SIZE
        if len(payload) != expected:
            raise ValueError(
                f"a compact range of size {size} needs {expected} hash bytes, got {len(payload)}"
            )
        hashes = tuple(payload[i : i + HASH_SIZE] for i in range(0, expected, HASH_SIZE))
        return cls(size, hashes)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) from RFC 6962 §2.1.1 for the tree of all `leaf_hashes`, leaf to root.

    Walks down from the root, collecting the sibling subtree root at each split, then reverses:
    the RFC's recursion appends the sibling after the deeper path. Total work is O(n) hashes
    because the sibling subtrees are disjoint.
    """
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    _require_hashes(leaf_hashes)
    siblings: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            siblings.append(root_from_leaf_hashes(leaf_hashes[split:end]))
            end = split
        else:
            siblings.append(root_from_leaf_hashes(leaf_hashes[start:split]))
            start = split
    siblings.reverse()
    return siblings


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[n]) from RFC 6962 §2.1.2 for the tree of all `leaf_hashes`.

    Returns [] when old_size is 0 (every tree extends the empty tree) or equals the current size
    (nothing to prove). Raises ValueError when old_size is negative or larger than the tree.
    """
    new_size = len(leaf_hashes)
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is outside 0..{new_size}")
    _require_hashes(leaf_hashes)
    if old_size in (0, new_size):
        return []
    return _subproof(old_size, leaf_hashes)


def _subproof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """SUBPROOF(m, D[n], true), unrolled from the root down.

    `start` and `end` bound the current subtree, `m` is how many of its leaves the old tree
    covers, and `old_root_known` is the RFC's flag b: it turns false once we descend into a right
    subtree, because the old root is then no longer a node of the new tree.
    """
    collected: list[bytes] = []
    start, end, m, old_root_known = 0, len(leaf_hashes), old_size, True
    while m != end - start:
        split = _largest_power_of_two_below(end - start)
        if m <= split:
            collected.append(root_from_leaf_hashes(leaf_hashes[start + split : end]))
            end = start + split
        else:
            collected.append(root_from_leaf_hashes(leaf_hashes[start : start + split]))
            start, m, old_root_known = start + split, m - split, False
    proof = [] if old_root_known else [root_from_leaf_hashes(leaf_hashes[start:end])]
    # The recursion appends on the way back up, so the deepest hash comes first.
    proof.extend(reversed(collected))
    return proof


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff `proof` shows `leaf_hash` at `index` in the tree of `size` leaves with `root`.

    The algorithm of RFC 9162 §2.1.3.2: fn tracks the node's index and sn the last index at the
    current level; a node that is a right child, or the last node of a ragged level, takes its
    proof hash on the left.
    """
    if not 0 <= index < size or not _all_hashes(leaf_hash, root, *proof):
        return False
    fn, sn = index, size - 1
    computed = leaf_hash
    for sibling in proof:
        if sn == 0:
            return False  # more proof hashes than levels
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            # A last node without a right sibling is promoted unchanged through missing levels.
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            computed = node_hash(computed, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(computed, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff `proof` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    Edge cases, all returning a bool rather than raising:
    - old_size > new_size, negative sizes, or hashes that are not 32 bytes: False.
    - old_size == new_size: True iff the proof is empty and the roots are equal.
    - old_size == 0: True iff the proof is empty and old_root is EMPTY_ROOT. The C2SP text accepts
      any old root here; we insist on the only root a size-0 tree can have.
    Otherwise the algorithm of RFC 9162 §2.1.4.2 decides.
    """
    if not 0 <= old_size <= new_size or not _all_hashes(old_root, new_root, *proof):
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not proof:
        return False
    return _verify_consistency_path(old_size, new_size, old_root, new_root, list(proof))


def _verify_consistency_path(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2 steps 2-7 for 0 < old_size < new_size and a non-empty path.

    fr rebuilds the old root and sr the new root from the same path; both must come out right.
    """
    if _is_power_of_two(old_size):
        # The old root is itself a node of the new tree, so the proof omits it.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first_root = second_root = path[0]
    for node in path[1:]:
        if sn == 0:
            return False  # more proof hashes than levels
        if fn & 1 or fn == sn:
            first_root = node_hash(node, first_root)
            second_root = node_hash(node, second_root)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            second_root = node_hash(second_root, node)
        fn, sn = fn >> 1, sn >> 1
    return (
        sn == 0
        and hmac.compare_digest(first_root, old_root)
        and hmac.compare_digest(second_root, new_root)
    )


def _largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k, the RFC 6962 split point; n must be at least 2."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _all_hashes(*values: object) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)


def _require_hash(value: object) -> None:
    if not (isinstance(value, bytes) and len(value) == HASH_SIZE):
        raise ValueError(f"expected a {HASH_SIZE}-byte hash, got {value!r:.80}")


def _require_hashes(values: Iterable[object]) -> None:
    for value in values:
        _require_hash(value)
