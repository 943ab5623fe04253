"""The Merkle tree library against published RFC 6962 vectors and a naive RFC reference.

Published vectors come from github.com/transparency-dev/merkle (the successor of the
certificate-transparency-go / Trillian Merkle code):
- testonly/constants.go @ 582a6ad190b6848f1d26f8bf08ddef29955d9db1: leaf inputs, node hashes,
  root hashes for sizes 0..8, compact-tree hashes for sizes 0..8;
- proof/verify_test.go @ 02194e9afb6c1d95b5381350007963aa70fff472: inclusion and consistency
  proof vectors (its leaf numbers are 1-based; the indices below are 0-based) and the proof
  corruptions its verifier must reject;
- testonly/reference_test.go @ 141d627eab770a7e9a2514f46a8b6338e6d90874: extra inclusion vectors.
Every other expected value is computed in this file by the naive reference implementation below.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence

import pytest

from shared.backbone.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# --- published vectors (transparency-dev/merkle) -------------------------------------------------

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]


def h(hex_digest: str) -> bytes:
    return bytes.fromhex(hex_digest)


NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]

# Indexed by tree size, starting from the empty tree.
ROOT_HASHES = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# compact.Tree hashes for sizes 0..8, as (level, index) pairs into NODE_HASHES.
COMPACT_TREES = [
    [],
    [(0, 0)],
    [(1, 0)],
    [(1, 0), (0, 2)],
    [(2, 0)],
    [(2, 0), (0, 4)],
    [(2, 0), (1, 2)],
    [(2, 0), (1, 2), (0, 6)],
    [(3, 0)],
]

# (0-based leaf index, tree size, proof)
INCLUSION_VECTORS = [
    (0, 1, []),
    (0, 2, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")]),
    (1, 2, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")]),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

# (old size, new size, proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def vector_leaf_hashes(size: int) -> list[bytes]:
    return [leaf_hash(d) for d in LEAF_INPUTS[:size]]


# --- naive reference: RFC 6962 §2.1 transcribed literally, on entries rather than leaf hashes ----


def ref_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_split(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(entries: Sequence[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return ref_hash(b"")
    if n == 1:
        return ref_hash(b"\x00" + entries[0])
    k = ref_split(n)
    return ref_hash(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:]))


def ref_path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = ref_split(n)
    if m < k:
        return [*ref_path(m, entries[:k]), ref_mth(entries[k:])]
    return [*ref_path(m - k, entries[k:]), ref_mth(entries[:k])]


def ref_proof(m: int, entries: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, entries, True)


def ref_subproof(m: int, entries: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if b else [ref_mth(entries)]
    k = ref_split(n)
    if m <= k:
        return [*ref_subproof(m, entries[:k], b), ref_mth(entries[k:])]
    return [*ref_subproof(m - k, entries[k:], False), ref_mth(entries[:k])]


ENTRIES = [b"event %d" % i for i in range(70)]
ENTRY_LEAF_HASHES = [leaf_hash(e) for e in ENTRIES]
REF_ROOTS = [ref_mth(ENTRIES[:n]) for n in range(len(ENTRIES) + 1)]
SIZES = range(1, len(ENTRIES) + 1)


# --- proof corruptions, after transparency-dev/merkle proof/verify_test.go -----------------------


def corrupted_inclusion_probes(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> Iterator[tuple[str, tuple[bytes, int, int, list[bytes], bytes]]]:
    yield "index - 1", (leaf, index - 1, size, proof, root)
    yield "index + 1", (leaf, index + 1, size, proof, root)
    yield "index ^ 2", (leaf, index ^ 2, size, proof, root)
    yield "size * 2", (leaf, index, size * 2, proof, root)
    yield "size // 2", (leaf, index, size // 2, proof, root)
    yield "wrong leaf", (leaf_hash(b"WrongLeaf"), index, size, proof, root)
    yield "empty root", (leaf, index, size, proof, EMPTY_ROOT)
    yield "random root", (leaf, index, size, proof, SOME_HASH)
    yield "trailing garbage", (leaf, index, size, [*proof, b""], root)
    yield "trailing root", (leaf, index, size, [*proof, root], root)
    yield "preceding garbage", (leaf, index, size, [b"", *proof], root)
    yield "preceding root", (leaf, index, size, [root, *proof], root)
    for i in range(len(proof)):
        yield f"proof[{i}] bit 3 flipped", (leaf, index, size, flip_bit(proof, i, 3), root)
    if proof:
        yield "removed component", (leaf, index, size, proof[:-1], root)
    if len(proof) > 1:
        yield "inserted component", (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root)


def corrupted_consistency_probes(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> Iterator[tuple[str, tuple[int, int, bytes, bytes, list[bytes]]]]:
    yield "old size - 1", (old_size - 1, new_size, old_root, new_root, proof)
    yield "old size + 1", (old_size + 1, new_size, old_root, new_root, proof)
    yield "old size ^ 2", (old_size ^ 2, new_size, old_root, new_root, proof)
    yield "new size * 2", (old_size, new_size * 2, old_root, new_root, proof)
    yield "new size // 2", (old_size, new_size // 2, old_root, new_root, proof)
    yield "wrong old root", (old_size, new_size, SOME_HASH, new_root, proof)
    yield "wrong new root", (old_size, new_size, old_root, SOME_HASH, proof)
    yield "swapped roots", (old_size, new_size, new_root, old_root, proof)
    yield "empty proof", (old_size, new_size, old_root, new_root, [])
    yield "trailing garbage", (old_size, new_size, old_root, new_root, [*proof, b""])
    yield "trailing old root", (old_size, new_size, old_root, new_root, [*proof, old_root])
    yield "trailing new root", (old_size, new_size, old_root, new_root, [*proof, new_root])
    yield "preceding garbage", (old_size, new_size, old_root, new_root, [b"", *proof])
    yield "preceding old root", (old_size, new_size, old_root, new_root, [old_root, *proof])
    yield "preceding new root", (old_size, new_size, old_root, new_root, [new_root, *proof])
    yield "preceding proof[0]", (old_size, new_size, old_root, new_root, [proof[0], *proof])
    yield "truncated proof", (old_size, new_size, old_root, new_root, proof[:-1])
    for i in range(len(proof)):
        flipped = flip_bit(proof, i, 4)
        yield f"proof[{i}] bit 4 flipped", (old_size, new_size, old_root, new_root, flipped)


def flip_bit(proof: list[bytes], position: int, bit: int) -> list[bytes]:
    tampered = bytearray(proof[position])
    tampered[0] ^= 1 << bit
    return [*proof[:position], bytes(tampered), *proof[position + 1 :]]


def accepted_inclusion_probes(index: int, size: int, leaves: list[bytes]) -> list[str]:
    proof = inclusion_proof(index, leaves[:size])
    root = root_from_leaf_hashes(leaves[:size])
    probes = corrupted_inclusion_probes(index, size, proof, root, leaves[index])
    return [desc for desc, args in probes if verify_inclusion(*args)]


def accepted_consistency_probes(old_size: int, new_size: int, leaves: list[bytes]) -> list[str]:
    proof = consistency_proof(old_size, leaves[:new_size])
    old_root = root_from_leaf_hashes(leaves[:old_size])
    new_root = root_from_leaf_hashes(leaves[:new_size])
    probes = corrupted_consistency_probes(old_size, new_size, old_root, new_root, proof)
    return [desc for desc, args in probes if verify_consistency(*args)]


# --- hashing and roots ---------------------------------------------------------------------------


def test_empty_root_is_the_sha256_of_nothing() -> None:
    assert ROOT_HASHES[0] == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert CompactRange.empty().root() == EMPTY_ROOT


def test_leaf_hashes_of_the_eight_inputs_match_the_published_level_zero_hashes() -> None:
    assert vector_leaf_hashes(8) == NODE_HASHES[0]


def test_node_hash_of_two_leaves_matches_the_published_level_one_hash() -> None:
    assert node_hash(NODE_HASHES[0][0], NODE_HASHES[0][1]) == NODE_HASHES[1][0]


def test_root_of_two_leaves_matches_the_rfc_vector() -> None:
    assert root_from_leaf_hashes(vector_leaf_hashes(2)) == h(
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
    )


def test_root_of_eight_leaves_matches_the_rfc_vector() -> None:
    assert root_from_leaf_hashes(vector_leaf_hashes(8)) == h(
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@pytest.mark.parametrize("size", range(9))
def test_root_of_every_prefix_of_the_eight_leaves_matches_the_published_root(size: int) -> None:
    assert root_from_leaf_hashes(vector_leaf_hashes(size)) == ROOT_HASHES[size]


@pytest.mark.parametrize("size", range(len(ENTRIES) + 1))
def test_root_matches_the_naive_rfc_definition_for_every_size_up_to_70(size: int) -> None:
    assert root_from_leaf_hashes(ENTRY_LEAF_HASHES[:size]) == REF_ROOTS[size]


@pytest.mark.parametrize("size", [127, 128, 129, 1000, 1023, 1024, 1025])
def test_root_matches_the_naive_rfc_definition_around_larger_powers_of_two(size: int) -> None:
    entries = [b"entry %d" % i for i in range(size)]
    assert root_from_leaf_hashes([leaf_hash(e) for e in entries]) == ref_mth(entries)


def test_root_refuses_leaf_hashes_that_are_not_32_bytes() -> None:
    with pytest.raises(ValueError):
        root_from_leaf_hashes([NODE_HASHES[0][0], b"short"])


# --- compact range -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(9))
def test_compact_range_holds_the_published_subtree_roots(size: int) -> None:
    compact = CompactRange.from_leaf_hashes(vector_leaf_hashes(size))
    assert compact.size == size
    assert compact.hashes == tuple(NODE_HASHES[level][i] for level, i in COMPACT_TREES[size])
    assert compact.root() == ROOT_HASHES[size]


def test_compact_range_root_matches_the_naive_rfc_root_after_every_append() -> None:
    compact = CompactRange.empty()
    for size, leaf in enumerate(ENTRY_LEAF_HASHES, start=1):
        compact = compact.append(leaf)
        assert compact.size == size
        assert len(compact.hashes) == size.bit_count()
        assert compact.root() == REF_ROOTS[size]


@pytest.mark.parametrize("size", SIZES)
def test_extending_in_one_batch_or_in_chunks_equals_appending_one_by_one(size: int) -> None:
    one_by_one = CompactRange.empty()
    for leaf in ENTRY_LEAF_HASHES[:size]:
        one_by_one = one_by_one.append(leaf)
    in_chunks = CompactRange.empty()
    for start in range(0, size, 7):
        in_chunks = in_chunks.extend(ENTRY_LEAF_HASHES[start : min(start + 7, size)])
    assert CompactRange.from_leaf_hashes(ENTRY_LEAF_HASHES[:size]) == one_by_one == in_chunks


def test_append_returns_a_new_range_and_leaves_the_original_untouched() -> None:
    before = CompactRange.from_leaf_hashes(ENTRY_LEAF_HASHES[:3])
    after = before.append(ENTRY_LEAF_HASHES[3])
    assert (before.size, before.root()) == (3, REF_ROOTS[3])
    assert (after.size, after.root()) == (4, REF_ROOTS[4])


def test_compact_range_refuses_a_hash_count_that_does_not_match_its_size() -> None:
    with pytest.raises(ValueError):
        CompactRange(3, (ENTRY_LEAF_HASHES[0],))


def test_compact_range_refuses_a_negative_size_or_one_beyond_uint64() -> None:
    with pytest.raises(ValueError):
        CompactRange(-1, ())
    with pytest.raises(ValueError):
        CompactRange(2**64, (SOME_HASH,))


def test_compact_range_refuses_to_append_a_hash_that_is_not_32_bytes() -> None:
    with pytest.raises(ValueError):
        CompactRange.empty().append(b"not a hash")


@pytest.mark.parametrize("size", range(len(ENTRIES) + 1))
def test_compact_range_serialisation_round_trips(size: int) -> None:
    compact = CompactRange.from_leaf_hashes(ENTRY_LEAF_HASHES[:size])
    data = compact.to_bytes()
    assert len(data) == 8 + 32 * size.bit_count()
    assert data[:8] == size.to_bytes(8, "big")
    assert CompactRange.from_bytes(data) == compact


def test_compact_range_serialisation_round_trips_at_the_largest_size() -> None:
    compact = CompactRange(2**64 - 1, (SOME_HASH,) * 64)
    assert CompactRange.from_bytes(compact.to_bytes()) == compact


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda data: data[:-1], id="truncated"),
        pytest.param(lambda data: data + b"\x00", id="trailing byte"),
        pytest.param(lambda data: data[:7], id="short size"),
        pytest.param(lambda data: (7).to_bytes(8, "big") + data[8:], id="size needing 3 hashes"),
    ],
)
def test_compact_range_deserialisation_rejects_mangled_bytes(
    mangle: Callable[[bytes], bytes],
) -> None:
    data = CompactRange.from_leaf_hashes(ENTRY_LEAF_HASHES[:5]).to_bytes()
    with pytest.raises(ValueError):
        CompactRange.from_bytes(mangle(data))


# --- inclusion proofs ----------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_VECTORS)
def test_inclusion_proof_matches_the_published_vector(
    index: int, size: int, expected: list[bytes]
) -> None:
    assert inclusion_proof(index, vector_leaf_hashes(size)) == expected


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_published_inclusion_proof_verifies_against_the_published_root(
    index: int, size: int, proof: list[bytes]
) -> None:
    leaf = leaf_hash(LEAF_INPUTS[index])
    assert verify_inclusion(leaf, index, size, proof, ROOT_HASHES[size])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_corrupted_published_inclusion_proofs_fail_verification(
    index: int, size: int, proof: list[bytes]
) -> None:
    leaf = leaf_hash(LEAF_INPUTS[index])
    probes = corrupted_inclusion_probes(index, size, proof, ROOT_HASHES[size], leaf)
    assert [desc for desc, args in probes if verify_inclusion(*args)] == []


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_match_the_naive_rfc_path_for_every_index(size: int) -> None:
    for index in range(size):
        assert inclusion_proof(index, ENTRY_LEAF_HASHES[:size]) == ref_path(index, ENTRIES[:size])


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_verify_for_every_index_and_only_at_that_index(size: int) -> None:
    leaves, root = ENTRY_LEAF_HASHES[:size], REF_ROOTS[size]
    for index in range(size):
        proof = inclusion_proof(index, leaves)
        assert verify_inclusion(leaves[index], index, size, proof, root)
        wrong_indices = [i for i in range(size) if i != index]
        assert not any(verify_inclusion(leaves[index], i, size, proof, root) for i in wrong_indices)


@pytest.mark.parametrize("size", SIZES)
def test_tampered_inclusion_proofs_fail_verification_for_every_index(size: int) -> None:
    for index in range(size):
        assert accepted_inclusion_probes(index, size, ENTRY_LEAF_HASHES) == [], index


def test_a_one_leaf_tree_has_an_empty_inclusion_proof_and_its_root_is_the_leaf() -> None:
    leaf = leaf_hash(b"data")
    assert inclusion_proof(0, [leaf]) == []
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], leaf)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 5), (8, 7)])
def test_inclusion_verification_fails_for_an_index_outside_the_tree(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (-1, 3), (7, 7)])
def test_inclusion_proof_refuses_an_index_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        inclusion_proof(index, ENTRY_LEAF_HASHES[:size])


# --- consistency proofs --------------------------------------------------------------------------


@pytest.mark.parametrize(("old_size", "new_size", "expected"), CONSISTENCY_VECTORS)
def test_consistency_proof_matches_the_published_vector(
    old_size: int, new_size: int, expected: list[bytes]
) -> None:
    assert consistency_proof(old_size, vector_leaf_hashes(new_size)) == expected


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_VECTORS)
def test_published_consistency_proof_verifies_against_the_published_roots(
    old_size: int, new_size: int, proof: list[bytes]
) -> None:
    assert verify_consistency(
        old_size, new_size, ROOT_HASHES[old_size], ROOT_HASHES[new_size], proof
    )


@pytest.mark.parametrize(
    ("old_size", "new_size", "proof"), [v for v in CONSISTENCY_VECTORS if v[2]]
)
def test_corrupted_published_consistency_proofs_fail_verification(
    old_size: int, new_size: int, proof: list[bytes]
) -> None:
    old_root, new_root = ROOT_HASHES[old_size], ROOT_HASHES[new_size]
    probes = corrupted_consistency_probes(old_size, new_size, old_root, new_root, proof)
    assert [desc for desc, args in probes if verify_consistency(*args)] == []


@pytest.mark.parametrize("new_size", SIZES)
def test_consistency_proofs_match_the_naive_rfc_proof_for_every_old_size(new_size: int) -> None:
    for old_size in range(1, new_size):
        expected = ref_proof(old_size, ENTRIES[:new_size])
        assert consistency_proof(old_size, ENTRY_LEAF_HASHES[:new_size]) == expected, old_size


@pytest.mark.parametrize("new_size", SIZES)
def test_consistency_proofs_verify_for_every_old_size(new_size: int) -> None:
    for old_size in range(new_size + 1):
        proof = consistency_proof(old_size, ENTRY_LEAF_HASHES[:new_size])
        old_root, new_root = REF_ROOTS[old_size], REF_ROOTS[new_size]
        assert verify_consistency(old_size, new_size, old_root, new_root, proof), old_size


@pytest.mark.parametrize("new_size", SIZES)
def test_tampered_consistency_proofs_fail_verification_for_every_old_size(new_size: int) -> None:
    for old_size in range(1, new_size):
        assert accepted_consistency_probes(old_size, new_size, ENTRY_LEAF_HASHES) == [], old_size


@pytest.mark.parametrize("new_size", SIZES)
def test_a_consistency_proof_does_not_verify_against_another_old_root(new_size: int) -> None:
    for old_size in range(1, new_size):
        proof = consistency_proof(old_size, ENTRY_LEAF_HASHES[:new_size])
        other_old_roots = [r for n, r in enumerate(REF_ROOTS[:new_size]) if n != old_size]
        assert not any(
            verify_consistency(old_size, new_size, r, REF_ROOTS[new_size], proof)
            for r in other_old_roots
        )


def test_consistency_proof_from_the_empty_tree_or_to_the_same_size_is_empty() -> None:
    assert consistency_proof(0, ENTRY_LEAF_HASHES[:5]) == []
    assert consistency_proof(5, ENTRY_LEAF_HASHES[:5]) == []
    assert consistency_proof(0, []) == []


@pytest.mark.parametrize("old_size", [-1, 6])
def test_consistency_proof_refuses_an_old_size_outside_the_tree(old_size: int) -> None:
    with pytest.raises(ValueError):
        consistency_proof(old_size, ENTRY_LEAF_HASHES[:5])


def test_every_tree_is_consistent_with_the_empty_tree_given_the_empty_root() -> None:
    assert verify_consistency(0, 5, EMPTY_ROOT, REF_ROOTS[5], [])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_an_empty_old_tree_with_any_root_but_the_empty_root_is_not_consistent() -> None:
    assert not verify_consistency(0, 5, SOME_HASH, REF_ROOTS[5], [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, REF_ROOTS[5], [EMPTY_ROOT])


def test_same_size_trees_are_consistent_only_with_equal_roots_and_an_empty_proof() -> None:
    assert verify_consistency(5, 5, REF_ROOTS[5], REF_ROOTS[5], [])
    assert not verify_consistency(5, 5, REF_ROOTS[5], SOME_HASH, [])
    assert not verify_consistency(5, 5, REF_ROOTS[5], REF_ROOTS[5], [EMPTY_ROOT])


def test_a_tree_is_never_consistent_with_a_larger_old_tree() -> None:
    assert not verify_consistency(2, 1, REF_ROOTS[2], REF_ROOTS[1], [])
    assert not verify_consistency(1, 0, REF_ROOTS[1], EMPTY_ROOT, [])


def test_an_empty_proof_between_different_non_empty_sizes_fails() -> None:
    assert not verify_consistency(1, 2, REF_ROOTS[1], REF_ROOTS[2], [])


def test_consistency_verification_fails_for_roots_that_are_not_32_bytes() -> None:
    assert not verify_consistency(3, 3, b"short", b"short", [])
    assert not verify_consistency(0, 0, b"", b"", [])
