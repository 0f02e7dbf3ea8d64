"""Small raw files in the exact official formats of ML1M (+ ML-20M genome), Yelp, GoodReads and Amazon 2018.

All four share one design with a hand-computable outcome (ratings >= 4, 5-core):
- 20 kept users: users 0-9 like the six "A" items and item 12, users 10-19 the six "B" items and item 12
  (7 positives each); item 12 has no metadata.
- noise that must vanish: ratings below 4 by extra users, a duplicate rating line, an item rated by only two
  users (k-core), a user with three positives (k-core).
So 20 users, 13 items, 140 interactions; every kept user has exactly one factor (A for users 0-9, B otherwise).
"""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

A_ITEMS, B_ITEMS, BARE_ITEM = range(0, 6), range(6, 12), 12
RARE_ITEM = 13  # rated by two users only: dropped by the 5-core
N_USERS, N_ITEMS, N_INTERACTIONS = 20, 13, 140


def design() -> list[tuple[int, int, int]]:
    """(user, item, stars) triples of the shared design, noise included."""
    rows = []
    for user in range(20):
        items = [*(A_ITEMS if user < 10 else B_ITEMS), BARE_ITEM]
        rows += [(user, item, 5 if item % 2 else 4) for item in items]
    rows.append((0, 0, 5))  # duplicate of a positive
    rows += [(20 + u, item, 2) for u in range(3) for item in range(13)]  # negatives only
    rows += [(0, RARE_ITEM, 5), (1, RARE_ITEM, 4)]
    rows += [(30, item, 5) for item in (0, 6, 12)]  # three positives only
    return rows


def expected_factor(user: int) -> str:
    return "A" if user < 10 else "B"


def _zip(archive: Path, members: dict[str, bytes]) -> Path:
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w") as handle:
        for name, data in members.items():
            handle.writestr(name, data)
    return archive


def write_ml1m(folder: Path, ratings: list[tuple] | None = None) -> Path:
    """ml-1m.zip (ratings.dat, movies.dat in Latin-1) and ml-20m.zip (genome-scores.csv, genome-tags.csv).

    Genome: tags 1-2 are relevant (0.9) to A movies, tags 3-4 to B movies; tag 5 is weak everywhere;
    movie 12 has no genome scores. Movie ids are item + 1 (MovieLens ids start at 1).
    """
    rows = ratings if ratings is not None else design()
    ratings_dat = "".join(f"{u + 1}::{i + 1}::{r}::97830{n:04d}\n" for n, (u, i, r) in enumerate(rows))
    movies = "".join(f"{i + 1}::Amélie {i} (2001)::Comedy|Romance\n" for i in range(14))
    _zip(folder / "ml-1m.zip", {"ml-1m/ratings.dat": ratings_dat.encode(),
                                "ml-1m/movies.dat": movies.encode("latin-1"),
                                "ml-1m/users.dat": b"1::F::1::10::48067\n"})
    tags = "tagId,tag\n1,based on a book\n2,magic\n3,\"war, politics\"\n4,history\n5,weak\n"
    scores = ["movieId,tagId,relevance"]
    for item in [*A_ITEMS, *B_ITEMS, RARE_ITEM]:
        for tag in range(1, 6):
            strong = (tag <= 2) == (item in A_ITEMS) and tag <= 4
            scores.append(f"{item + 1},{tag},{0.9 if strong else 0.1:.5f}")
    scores.append("999,1,0.5")  # a movie outside ML1M
    _zip(folder / "ml-20m.zip", {"ml-20m/genome-scores.csv": ("\n".join(scores) + "\n").encode(),
                                 "ml-20m/genome-tags.csv": tags.encode()})
    return folder


def _json_lines(path: Path, records: list, compress: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" if not isinstance(r, str) else r + "\n" for r in records)
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_yelp(folder: Path, extra_review_lines: list[str] = ()) -> Path:
    reviews = [{"review_id": f"r{n}", "user_id": f"U{u:02d}-x", "business_id": f"biz{i:02d}", "stars": float(r),
                "text": "Très bon, \"quoted\"", "date": "2018-07-07 22:09:11"} for n, (u, i, r) in enumerate(design())]
    _json_lines(folder / "yelp_academic_dataset_review.json", [*reviews, *extra_review_lines], compress=False)
    businesses = []
    for item in range(14):
        categories = ("Pizza, Restaurants" if item in A_ITEMS else
                      "Museums, Arts & Entertainment" if item in B_ITEMS else None)
        businesses.append({"business_id": f"biz{item:02d}", "name": f"Café {item}", "categories": categories,
                           "attributes": None, "stars": 4.5})
    _json_lines(folder / "yelp_academic_dataset_business.json", businesses, compress=False)
    return folder


def write_goodreads(folder: Path, extra_interaction_lines: list[str] = ()) -> Path:
    interactions = [{"user_id": f"{u:032x}", "book_id": str(1000 + i), "review_id": f"{n:032x}", "is_read": True,
                     "rating": r, "date_added": "Mon Aug 01 13:41:57 -0700 2011"}
                    for n, (u, i, r) in enumerate(design())]
    _json_lines(folder / "goodreads_interactions_children.json.gz", [*interactions, *extra_interaction_lines],
                compress=True)
    books = []
    for item in range(14):
        if item in A_ITEMS:
            shelves = [{"count": "120", "name": "to-read"}, {"count": "7", "name": "fantasy"},
                       {"count": "3", "name": "fantasy-fiction"}, {"count": "1", "name": "horror"}]
        elif item in B_ITEMS:
            shelves = [{"count": "40", "name": "favorites"}, {"count": "5", "name": "picture-book"}]
        else:
            shelves = []  # a book without shelves
        books.append({"book_id": str(1000 + item), "title": f"Book {item}", "popular_shelves": shelves})
    _json_lines(folder / "goodreads_books_children.json.gz", books, compress=True)
    return folder


GOODREADS_CONCEPTS = {"synonyms": {"fantasy": ["fantasy", "fantasy-fiction"],
                                   "picture-books": ["picture-books", "picture-book"]},
                      "drop": ["to-read", "favorites"], "n_concepts": 20, "min_shelf_count": 2}


def write_amazon(folder: Path, extra_review_lines: list[str] = ()) -> Path:
    reviews = [{"overall": float(r), "verified": True, "reviewerID": f"A{u:02d}XYZ", "asin": f"B000{i:02d}",
                "reviewText": "Great", "unixReviewTime": 1000 + n} for n, (u, i, r) in enumerate(design())]
    _json_lines(folder / "CDs_and_Vinyl.json.gz", [*reviews, *extra_review_lines], compress=True)
    meta = []
    for item in [*A_ITEMS, *B_ITEMS, RARE_ITEM]:  # item 12 has no metadata line
        genre = ["Rock", "Classic Rock"] if item in A_ITEMS else ["Jazz", "Bebop"]
        meta.append({"asin": f"B000{item:02d}", "title": "Album", "category": ["CDs &amp; Vinyl", *genre]})
    meta.append(meta[0])  # duplicated metadata line, as in the published files
    _json_lines(folder / "meta_CDs_and_Vinyl.json.gz", meta, compress=True)
    return folder
