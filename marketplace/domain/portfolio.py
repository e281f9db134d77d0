"""Portfolio: choose up to `slots` influencers within a cash budget for the widest useful reach.

Each candidate brings a *value*: its audience in the target countries, weighted by niche relevance
(1 for a target niche, 0.5 for a related one, 0.1 otherwise; 1 when the brief names no niche) and
softly by its match score (0.5 + 0.5 x score, so the score nudges and reach decides).

The objective of a set S sums three families of buckets, one third each:

- one bucket per target country, holding each pick's value in that country;
- one bucket per niche, holding each pick's value spread over its target niches (or its own niches);
- one bucket per platform, holding each pick's value spread over its platforms.

Inside a bucket the values are sorted from largest to smallest and the k-th counts DECAY ** k
(1, 0.7, 0.49, ...): each additional pick sharing a country, niche or platform adds less, so
piling up on one audience is penalised. A bucket is a non-negative combination of "sum of the top k"
functions, each monotone submodular, so the objective is monotone submodular.

Greedy on a monotone submodular function under a cardinality limit gives at least (1 - 1/e) of the
optimum. Under a budget, plain greedy can be arbitrarily bad, and the classic remedy is the
cost-benefit greedy (best marginal gain per unit of cost) together with the best single item, whose
better answer is at least (1 - 1/e) / 2 of the optimum. We hold both a slot limit and a budget, so
we run the unit-cost greedy and the cost-benefit greedy (each stopping at the slots and skipping what
no longer fits the budget) and the best single affordable item, and keep whichever scores highest.
With both constraints at once this is a well-founded heuristic rather than a proven bound.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from marketplace.domain import niches as taxonomy

DECAY = 0.7
NICHE_RELEVANCE = {"exact": 1.0, "related": 0.5, "none": 0.1}
FAMILY_WEIGHT = 1.0 / 3.0  # countries, niches and platforms weigh the same


@dataclass(frozen=True)
class PortfolioCandidate:
    """One influencer the portfolio may pick: reach, audience, niches, platforms, cost and match."""

    id: Hashable
    followers: int
    audience_countries: Mapping[str, float]
    niches: Sequence[str]
    platforms: Sequence[str]
    cost_minor: int
    match_score: float = 1.0


@dataclass(frozen=True)
class PortfolioPick:
    """One chosen influencer with what it added to the objective and why."""

    id: Hashable
    marginal_gain: float
    cumulative_coverage: float
    cost: int
    explanation: str


@dataclass(frozen=True)
class Portfolio:
    """The picks in the order chosen, their totals, and which greedy variant won."""

    picks: list[PortfolioPick]
    total_cost_minor: int
    coverage: float  # the objective: decayed, weighted reach
    target_audience: float  # plain followers x share in the target countries, no decay
    strategy: str
    budget_minor: int | None
    slots: int = 0
    considered: int = 0
    notes: list[str] = field(default_factory=list)


def build_portfolio(
    candidates: Sequence[PortfolioCandidate],
    *,
    target_countries: Sequence[str],
    target_niches: Sequence[str] = (),
    slots: int,
    budget_minor: int | None = None,
    decay: float = DECAY,
) -> Portfolio:
    """Pick at most `slots` candidates within the budget, maximising decayed reach in the targets."""
    targets = sorted({c.upper() for c in target_countries})
    model = _Objective(candidates, targets, target_niches, decay)
    affordable = [
        i for i, c in enumerate(candidates) if budget_minor is None or max(c.cost_minor, 0) <= budget_minor
    ]
    options: list[tuple[str, list[int]]] = []
    if slots > 0 and affordable:
        options.append(("greedy by gain", model.greedy(affordable, slots, budget_minor, per_cost=False)))
        options.append(
            ("greedy by gain per cost", model.greedy(affordable, slots, budget_minor, per_cost=True))
        )
        best_single = max(affordable, key=lambda i: (model.value_of([i]), -i))
        options.append(("best single influencer", [best_single]))
    if not options:
        return Portfolio(
            [], 0, 0.0, 0.0, "none", budget_minor, slots, len(candidates), ["nothing affordable"]
        )
    # Highest objective wins; on a tie, the earlier (simpler) strategy.
    strategy, chosen = max(options, key=lambda opt: (model.value_of(opt[1]), -options.index(opt)))
    picks = model.explain(chosen)
    ids = [candidates[i].id for i in chosen]
    return Portfolio(
        picks=picks,
        total_cost_minor=sum(max(candidates[i].cost_minor, 0) for i in chosen),
        coverage=model.value_of(chosen),
        target_audience=target_audience_covered(ids, candidates, targets),
        strategy=strategy,
        budget_minor=budget_minor,
        slots=slots,
        considered=len(candidates),
    )


def target_audience_covered(
    picks: Sequence[PortfolioPick | Hashable],
    candidates: Sequence[PortfolioCandidate],
    targets: Sequence[str],
) -> float:
    """Plain audience of the picks in the target countries (all of it without targets): no decay."""
    by_id = {c.id: c for c in candidates}
    wanted = {t.upper() for t in targets}
    total = 0.0
    for pick in picks:
        key = pick.id if isinstance(pick, PortfolioPick) else pick
        candidate = by_id[key]
        shares = _shares(candidate.audience_countries)
        in_targets = sum(shares.get(code, 0.0) for code in wanted) if wanted else 1.0
        total += max(candidate.followers, 0) * in_targets
    return total


class _Objective:
    """The decayed-bucket coverage function over candidate indexes."""

    def __init__(
        self,
        candidates: Sequence[PortfolioCandidate],
        targets: Sequence[str],
        target_niches: Sequence[str],
        decay: float,
    ) -> None:
        self.candidates = candidates
        self.decay = decay
        self.targets = list(targets)
        want = set(target_niches)
        self.buckets: list[dict[tuple[str, str], float]] = []
        self.reach: list[float] = []
        for c in candidates:
            shares = _shares(c.audience_countries)
            followers = max(c.followers, 0)
            in_targets = sum(shares.get(t, 0.0) for t in self.targets) if self.targets else 1.0
            fit = taxonomy.niche_fit(c.niches, want) if want else "exact"
            quality = NICHE_RELEVANCE[fit] * (0.5 + 0.5 * min(max(c.match_score, 0.0), 1.0))
            value = followers * in_targets * quality
            entry: dict[tuple[str, str], float] = {}
            countries = self.targets or ["(any)"]
            for country in countries:
                share = shares.get(country, 0.0) if self.targets else 1.0
                entry[("country", country)] = followers * share * quality
            niche_keys = sorted(set(c.niches) & want) or sorted(set(c.niches)) or ["(no niche)"]
            for niche in niche_keys:
                entry[("niche", niche)] = value / len(niche_keys)
            platform_keys = sorted(set(c.platforms)) or ["(no platform)"]
            for platform in platform_keys:
                entry[("platform", platform)] = value / len(platform_keys)
            self.buckets.append(entry)
            self.reach.append(value)

    def value_of(self, chosen: Sequence[int]) -> float:
        """Objective of a set of candidate indexes."""
        holdings: dict[tuple[str, str], list[float]] = {}
        for i in chosen:
            for key, v in self.buckets[i].items():
                holdings.setdefault(key, []).append(v)
        return sum(self._bucket(values) for values in holdings.values())

    def _bucket(self, values: list[float]) -> float:
        ordered = sorted(values, reverse=True)
        return FAMILY_WEIGHT * sum(v * self.decay**k for k, v in enumerate(ordered))

    def gain(self, holdings: Mapping[tuple[str, str], list[float]], i: int) -> float:
        """What candidate i adds to the current holdings."""
        total = 0.0
        for key, v in self.buckets[i].items():
            before = holdings.get(key, [])
            total += self._bucket([*before, v]) - self._bucket(list(before))
        return total

    def greedy(self, pool: Sequence[int], slots: int, budget: int | None, *, per_cost: bool) -> list[int]:
        """Repeatedly add the affordable candidate with the best gain (or gain per unit of cost)."""
        chosen: list[int] = []
        holdings: dict[tuple[str, str], list[float]] = {}
        remaining = budget
        left = list(pool)
        while len(chosen) < slots and left:
            best, best_key = None, None
            for i in left:
                cost = max(self.candidates[i].cost_minor, 0)
                if remaining is not None and cost > remaining:
                    continue
                gain = self.gain(holdings, i)
                if gain <= 0:
                    continue
                key = (gain / max(cost, 1) if per_cost else gain, gain, -i)
                if best_key is None or key > best_key:
                    best, best_key = i, key
            if best is None:
                break
            chosen.append(best)
            left.remove(best)
            for key, v in self.buckets[best].items():
                holdings.setdefault(key, []).append(v)
            if remaining is not None:
                remaining -= max(self.candidates[best].cost_minor, 0)
        return chosen

    def explain(self, chosen: Sequence[int]) -> list[PortfolioPick]:
        """The picks in order, each with its marginal gain, running total and a readable why."""
        picks = []
        holdings: dict[tuple[str, str], list[float]] = {}
        cumulative = 0.0
        for i in chosen:
            candidate = self.candidates[i]
            gain = self.gain(holdings, i)
            shared = [
                f"{family} {name} with {len(holdings[(family, name)])} earlier pick(s)"
                for family, name in sorted(self.buckets[i])
                if family != "country" and holdings.get((family, name))
            ]
            cumulative += gain
            shares = _shares(candidate.audience_countries)
            in_targets = sum(shares.get(t, 0.0) for t in self.targets) if self.targets else 1.0
            reach = max(candidate.followers, 0) * in_targets
            where = "/".join(self.targets) if self.targets else "any country"
            text = f"Adds {gain:,.0f} to coverage: {reach:,.0f} followers in {where}"
            text += f" ({', '.join(sorted(set(candidate.niches))) or 'no niche'}"
            text += f"; {', '.join(sorted(set(candidate.platforms))) or 'no platform'})"
            text += f"; overlaps {', '.join(shared)}." if shared else "; no niche or platform overlap."
            picks.append(PortfolioPick(candidate.id, gain, cumulative, max(candidate.cost_minor, 0), text))
            for key, v in self.buckets[i].items():
                holdings.setdefault(key, []).append(v)
        return picks


def _shares(audience_countries: Mapping[str, float]) -> dict[str, float]:
    """Non-negative shares by upper-case code, scaled down when they add up to more than 1."""
    shares: dict[str, float] = {}
    for code, share in audience_countries.items():
        if share > 0:
            shares[code.upper()] = shares.get(code.upper(), 0.0) + float(share)
    total = sum(shares.values())
    return {code: share / total for code, share in shares.items()} if total > 1 else shares
