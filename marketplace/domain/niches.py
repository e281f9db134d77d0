"""The niche taxonomy: one list of niches, each with its related niches and a pricing category.

Niche fit dominates matching: an exact niche is credible, a related one somewhat, anything else
is not (a food blogger praising jewellery is not credible).
"""

from __future__ import annotations

# niche -> (niches it is related to, pricing category); relations are made symmetric below.
_DECLARED: dict[str, tuple[set[str], str]] = {
    "sport": ({"fitness", "outdoor", "health"}, "lifestyle"),
    "fitness": ({"sport", "health", "food"}, "lifestyle"),
    "health": ({"fitness", "food", "parenting"}, "lifestyle"),
    "outdoor": ({"sport", "travel"}, "lifestyle"),
    "fashion": ({"beauty", "jewellery", "lifestyle", "luxury"}, "premium"),
    "jewellery": ({"fashion", "beauty", "luxury"}, "premium"),
    "luxury": ({"fashion", "jewellery", "travel"}, "premium"),
    "beauty": ({"fashion", "jewellery", "lifestyle"}, "premium"),
    "travel": ({"food", "outdoor", "lifestyle", "luxury"}, "lifestyle"),
    "food": ({"travel", "health", "parenting"}, "mass"),
    "gaming": ({"tech", "music"}, "tech"),
    "tech": ({"gaming", "finance"}, "tech"),
    "finance": ({"tech", "business"}, "finance"),
    "business": ({"finance"}, "finance"),
    "parenting": ({"food", "health", "lifestyle"}, "mass"),
    "music": ({"gaming", "lifestyle"}, "mass"),
    "lifestyle": ({"fashion", "beauty", "travel", "music", "parenting"}, "mass"),
    "pets": ({"parenting"}, "mass"),
    "art": ({"music"}, "mass"),
}


def _symmetric(declared: dict[str, tuple[set[str], str]]) -> dict[str, tuple[frozenset[str], str]]:
    relations = {name: set(rel) for name, (rel, _) in declared.items()}
    for name, rel in declared.items():
        for other in rel[0]:
            relations.setdefault(other, set()).add(name)
    return {name: (frozenset(relations[name] - {name}), declared[name][1]) for name in declared}


TAXONOMY: dict[str, tuple[frozenset[str], str]] = _symmetric(_DECLARED)

NICHES: tuple[str, ...] = tuple(sorted(TAXONOMY))

# Relative price level of a pricing category (finance and premium goods pay more per reach).
CATEGORY_MULTIPLIER: dict[str, float] = {
    "finance": 1.5,
    "premium": 1.3,
    "tech": 1.2,
    "lifestyle": 1.0,
    "mass": 0.9,
}


def is_niche(name: str) -> bool:
    """True when `name` is in the taxonomy."""
    return name in TAXONOMY


def unknown_niches(names: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """The names that are not niches of the taxonomy, sorted."""
    return sorted(n for n in set(names) if n not in TAXONOMY)


def related(name: str) -> frozenset[str]:
    """The niches related to `name` (empty for an unknown niche)."""
    return TAXONOMY.get(name, (frozenset(), ""))[0]


def expand(names: list[str] | tuple[str, ...] | set[str]) -> set[str]:
    """`names` plus every niche related to one of them."""
    result = set(names)
    for name in names:
        result |= related(name)
    return result


def category(name: str) -> str:
    """The pricing category of a niche ("mass" when unknown)."""
    return TAXONOMY.get(name, (frozenset(), "mass"))[1]


def niche_fit(profile_niches: list[str] | set[str], wanted: list[str] | set[str]) -> str:
    """How a profile's niches fit the wanted ones: "exact", "related" or "none"."""
    have, want = set(profile_niches), set(wanted)
    if not want or have & want:
        return "exact"
    if have & expand(want):
        return "related"
    return "none"


def validate_taxonomy() -> list[str]:
    """Inconsistencies in TAXONOMY (related niches must exist and relate back); empty when sound."""
    problems = []
    for name, (rel, cat) in TAXONOMY.items():
        if cat not in CATEGORY_MULTIPLIER:
            problems.append(f"{name}: unknown category {cat}")
        for other in rel:
            if other not in TAXONOMY:
                problems.append(f"{name}: related niche {other} is not in the taxonomy")
            elif name not in TAXONOMY[other][0]:
                problems.append(f"{name} -> {other} is not symmetric")
    return problems
