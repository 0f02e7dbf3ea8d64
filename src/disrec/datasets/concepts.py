"""Ground-truth item concepts built from item metadata (docs/methods.md §3.1).

Every function takes the dense-id ``item_features`` table (item, feature, value) of the filtered dataset
and returns the binary item x concept matrix. Items without metadata carry no concept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from disrec.datasets.base import ItemConcepts, concepts_from_binary_features
from disrec.errors import DataFormatError

N_INIT = 10  # k-means restarts; fixed so that a seed gives one answer


def most_common(item_features: pd.DataFrame, n: int | None, drop: list[str] = (), min_items: int = 1) -> list[str]:
    """The ``n`` features on most items (ties broken by name; None = all), sorted by name; features in ``drop``
    and those on fewer than ``min_items`` items are left out."""
    kept = item_features[~item_features["feature"].isin(drop)]
    counts = kept.groupby("feature")["item"].nunique()
    ranked = counts[counts >= min_items].reset_index()
    ranked = ranked.sort_values(["item", "feature"], ascending=[False, True], kind="stable")
    return sorted(ranked["feature"].iloc[:n])


def _kmeans_labels(vectors: np.ndarray, n_clusters: int, seed: int, what: str) -> np.ndarray:
    if len(vectors) < n_clusters:
        raise DataFormatError(f"{what}: {len(vectors)} to cluster, fewer than the {n_clusters} clusters asked for "
                              f"(concepts.n_clusters)")
    return KMeans(n_clusters=n_clusters, n_init=N_INIT, random_state=seed).fit_predict(vectors)


def _cluster_names(members: pd.Series, labels: np.ndarray, n_clusters: int) -> list[str]:
    """'c07: first, second, third' from the three first members (in ``members`` order) of each cluster."""
    names = []
    for c in range(n_clusters):
        listed = members[labels == c].tolist()
        names.append(f"c{c:02d}: " + ", ".join(listed[:3]) + (", ..." if len(listed) > 3 else ""))
    return names


def genome_concepts(item_features: pd.DataFrame, n_items: int, seed: int, n_tags: int, n_clusters: int,
                    relevance_threshold: float) -> ItemConcepts:
    """Tag-genome clusters: the ``n_tags`` tags of highest mean relevance over the dataset's movies are
    k-means clustered on their movie-relevance vectors; a movie has concept c when its mean relevance
    over the tags of c exceeds ``relevance_threshold``."""
    relevance = item_features.pivot(index="item", columns="feature", values="value")
    top = relevance.mean().sort_values(ascending=False, kind="stable").index[:n_tags]
    tags = pd.Series(sorted(top))
    vectors = relevance[tags].fillna(0.0).to_numpy().T  # one row per tag, one column per movie
    labels = _kmeans_labels(vectors, n_clusters, seed, f"{len(tags)} genome tags")
    matrix = np.zeros((n_items, n_clusters), dtype=bool)
    movies = relevance.index.to_numpy()
    for c in range(n_clusters):
        mean_relevance = relevance[tags[labels == c]].mean(axis=1).to_numpy()
        matrix[movies, c] = mean_relevance > relevance_threshold
    return ItemConcepts(matrix=matrix, names=_cluster_names(tags, labels, n_clusters))


def category_features(item_ids: pd.Series, categories: pd.Series) -> pd.DataFrame:
    """Long (item_id, feature, value=1) from one list of category names per item (None = no metadata)."""
    table = pd.DataFrame({"item_id": item_ids.to_numpy(), "feature": categories.to_numpy()})
    table = table.explode("feature").dropna(subset=["feature"])
    table["feature"] = table["feature"].str.strip()
    return table[table["feature"] != ""].drop_duplicates().assign(value=1.0).reset_index(drop=True)


def category_clusters(item_features: pd.DataFrame, n_items: int, seed: int, n_categories: int, n_clusters: int,
                      drop: list[str]) -> ItemConcepts:
    """Category clusters: the ``n_categories`` most frequent categories (those in ``drop`` excluded) are
    k-means clustered on their item-membership vectors; an item has concept c when it has any category of c."""
    categories = pd.Series(most_common(item_features, n_categories, drop))
    column = {name: j for j, name in enumerate(categories)}
    members = item_features[item_features["feature"].isin(column)]
    membership = np.zeros((len(categories), n_items), dtype=np.float64)
    membership[members["feature"].map(column).to_numpy(), members["item"].to_numpy()] = 1.0
    labels = _kmeans_labels(membership, n_clusters, seed, f"{len(categories)} categories")
    matrix = np.zeros((n_items, n_clusters), dtype=bool)
    for c in range(n_clusters):
        matrix[:, c] = membership[labels == c].any(axis=0)
    return ItemConcepts(matrix=matrix, names=_cluster_names(categories, labels, n_clusters))


def merged_shelves(item_features: pd.DataFrame, n_items: int, synonyms: dict[str, list[str]], drop: list[str],
                   n_concepts: int, min_shelf_count: int) -> ItemConcepts:
    """Shelf groups: shelves are renamed to their group by the ``synonyms`` table (group -> shelves), generic
    shelves in ``drop`` are removed, and the ``n_concepts`` groups on most books become the concepts. A book
    has a concept when at least ``min_shelf_count`` readers put it on a shelf of that group."""
    group_of = {shelf: group for group, members in synonyms.items() for shelf in members}  # one group each
    shelves = item_features[(item_features["value"] >= min_shelf_count) & ~item_features["feature"].isin(drop)]
    grouped = shelves.assign(feature=shelves["feature"].map(lambda s: group_of.get(s, s)))
    grouped = grouped[~grouped["feature"].isin(drop)][["item", "feature"]].drop_duplicates()
    names = most_common(grouped, n_concepts)
    column = {name: j for j, name in enumerate(names)}
    present = grouped[grouped["feature"].isin(column)]
    matrix = np.zeros((n_items, len(names)), dtype=bool)
    matrix[present["item"].to_numpy(), present["feature"].map(column).to_numpy()] = True
    return ItemConcepts(matrix=matrix, names=names)


def token_concepts(item_features: pd.DataFrame, n_items: int, seed: int, top_n: int | None, min_items: int,
                   drop: list[str], n_clusters: int | None) -> ItemConcepts:
    """Tokens (genres, tags) as concepts: the ``top_n`` tokens on most items, leaving out those in ``drop`` and
    those on fewer than ``min_items`` items. With ``n_clusters``, those tokens are clustered instead, as
    categories are (an item has concept c when it has any token of c)."""
    tokens = most_common(item_features, top_n, drop, min_items)
    chosen = item_features[item_features["feature"].isin(tokens)]
    if n_clusters:
        return category_clusters(chosen, n_items, seed, len(tokens), n_clusters, [])
    return concepts_from_binary_features(chosen, n_items)
