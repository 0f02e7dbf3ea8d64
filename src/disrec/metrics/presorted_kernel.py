"""The compiled tree builder of ``disrec.metrics.presorted_trees`` (numba; compiled once, cached next to
this file). Each function follows the scikit-learn 1.9 routine named in it, step for step.
"""

import math

import numpy as np
from numba import njit

RAND_R_MAX = 2_147_483_647  # sklearn/tree/_utils.pxd
# scikit-learn's trees take feature values this close as equal, in float32 arithmetic (sklearn/tree/_partitioner.pxd).
FEATURE_THRESHOLD = np.float32(1e-7)
EPSILON = float(np.finfo(np.float64).eps)  # a node this pure is a leaf (sklearn/tree/_tree.pyx)


@njit(cache=True, nogil=True)
def rand_int(low, high, state):
    """sklearn/utils/_random.pxd our_rand_r (xorshift on 32 bits) and tree/_utils.pyx rand_int."""
    s = state[0]
    if s == 0:
        s = np.uint64(1)
    s = (s ^ (s << np.uint64(13))) & np.uint64(0xFFFFFFFF)
    s = s ^ (s >> np.uint64(17))
    s = (s ^ (s << np.uint64(5))) & np.uint64(0xFFFFFFFF)
    state[0] = s
    return low + np.int64((s % np.uint64(RAND_R_MAX + 1)) % np.uint64(high - low))


@njit(cache=True, nogil=True)
def swap(values, rows, i, j):
    values[i], values[j] = values[j], values[i]
    rows[i], rows[j] = rows[j], rows[i]


@njit(cache=True, nogil=True)
def sift_down(values, rows, root, end):
    while True:
        child, largest = 2 * root + 1, root
        if child < end and values[largest] < values[child]:
            largest = child
        if child + 1 < end and values[largest] < values[child + 1]:
            largest = child + 1
        if largest == root:
            return
        swap(values, rows, root, largest)
        root = largest


@njit(cache=True, nogil=True)
def introsort(values, rows, max_depth):
    """sklearn/utils/_sorting.pyx simultaneous_sort with the 3-way partition, step for step: the order it
    leaves equal values in is the one scikit-learn's tree sums them in."""
    n = len(values)
    while n > 15:
        if max_depth <= 0:  # heapsort
            start = (n - 2) // 2
            while True:
                sift_down(values, rows, start, n)
                if start == 0:
                    break
                start -= 1
            for last in range(n - 1, 0, -1):
                swap(values, rows, 0, last)
                sift_down(values, rows, 0, last)
            return
        max_depth -= 1
        a, b, c = values[0], values[n // 2], values[n - 1]
        if a < b:
            pivot = b if b < c else (c if a < c else a)
        else:
            pivot = (a if a < c else c) if b < c else b
        i = low = 0
        high = n
        while i < high:
            if values[i] < pivot:
                swap(values, rows, i, low)
                i += 1
                low += 1
            elif values[i] > pivot:
                high -= 1
                swap(values, rows, i, high)
            else:
                i += 1
        introsort(values[:low], rows[:low], max_depth)
        values, rows, n = values[high:], rows[high:], n - high
    for i in range(1, n):  # insertion sort
        value, row, j = values[i], rows[i], i
        while j > 0 and values[j - 1] > value:
            values[j], rows[j] = values[j - 1], rows[j - 1]
            j -= 1
        values[j], rows[j] = value, row


@njit(cache=True, nogil=True)
def same_bits(a, b):
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@njit(cache=True, nogil=True)
def order_free(y, rows, first, stop, running, sign):
    """Whether adding (sign 1) or subtracting (sign -1) y of rows[first:stop], a run of rows with equal
    feature values, to ``running`` gives the same float in any order: their y are all the same, or they
    are two and both orders round alike."""
    all_same = True
    for i in range(first + 1, stop):
        all_same = all_same and same_bits(y[rows[i]], y[rows[first]])
    if all_same:
        return True
    if stop - first != 2:
        return False
    a, b = sign * y[rows[first]], sign * y[rows[first + 1]]
    return same_bits((running + a) + b, (running + b) + a)


@njit(cache=True, nogil=True)
def scan_splits(values, rows, y, feature, start, end, min_samples_leaf, sum_total, weight, best, check_runs):
    """The best splitter's scan of one feature (sklearn/tree/_splitter.pyx node_split_best: tied values
    skipped, the criterion's update forward or back from the end, the proxy improvement, the first best)
    over the node's rows by value. ``best`` holds proxy, position, feature, threshold and the missing
    values' side, updated in place. With ``check_runs`` the rows of a run of equal values may be in
    another order than scikit-learn's sort leaves them in: returns False, as soon as a run's sum could
    round otherwise (``order_free``), and then ``best`` is not to be used."""
    sum_left, weight_left, pos = 0.0, 0.0, start
    p = start
    while p < end:
        p += 1
        while p < end and values[p] <= values[p - 1] + FEATURE_THRESHOLD:
            p += 1
        if p == end or p - start < min_samples_leaf or end - p < min_samples_leaf:
            continue
        if p - pos <= end - p:  # the criterion's update: forward, or back from the end
            run_end = pos
            for q in range(pos, p):
                if check_runs and q >= run_end and q + 1 < p and values[q + 1] == values[q]:
                    run_end = q + 2
                    while run_end < p and values[run_end] == values[q]:
                        run_end += 1
                    if not order_free(y, rows, q, run_end, sum_left, 1.0):
                        return False
                sum_left += y[rows[q]]
                weight_left += 1.0
        else:
            sum_left, weight_left = sum_total, weight
            run_start = end
            for q in range(end - 1, p - 1, -1):
                if check_runs and q < run_start and q - 1 >= p and values[q - 1] == values[q]:
                    run_start = q - 1
                    while run_start > p and values[run_start - 1] == values[q]:
                        run_start -= 1
                    if not order_free(y, rows, run_start, q + 1, sum_left, -1.0):
                        return False
                sum_left -= y[rows[q]]
                weight_left -= 1.0
        pos = p
        sum_right = sum_total - sum_left
        proxy = sum_left * sum_left / weight_left + sum_right * sum_right / (weight - weight_left)
        if proxy > best[0]:
            best[0], best[1], best[2] = proxy, p, feature
            best[3] = np.float64(values[p - 1]) / 2.0 + np.float64(values[p]) / 2.0
            best[4] = p - start > end - p
    return True


@njit(cache=True, nogil=True)
def settle_order(X, samples, values, start, end, sorted_features, first, stop):
    """Sort the node's rows by each of sorted_features[first:stop] in turn, as scikit-learn's splitter did
    when it visited them: where a feature has equal values, the rows' order after its sort depends on the
    order before it."""
    for k in range(first, stop):
        f = sorted_features[k]
        for p in range(start, end):
            values[p] = X[samples[p], f]
        introsort(values[start:end], samples[start:end], 2 * np.int64(np.log2(end - start)))


@njit(cache=True, nogil=True)
def build(X, y, order, seed, max_depth, min_samples_split, min_samples_leaf, min_impurity_decrease):
    """sklearn/tree/_tree.pyx DepthFirstTreeBuilder.build with the best splitter and squared error, unit
    weights: X (n, features) float32, y (n,) float64, order (features, n) each feature's rows by value, seed
    the splitter's draw, min_samples_split already at least 2 min_samples_leaf. Returns the node count, the
    node arrays (children, feature, threshold, impurity, samples, value, missing values' side) and the depth."""
    n, n_features = X.shape
    capacity = 2 * n + 1 if max_depth > 30 else min(2 * n + 1, 2 ** (max_depth + 1))
    left = np.full(capacity, -1, np.int64)
    right = np.full(capacity, -1, np.int64)
    feature = np.full(capacity, -2, np.int64)
    threshold = np.full(capacity, -2.0)
    impurity = np.zeros(capacity)
    count = np.zeros(capacity, np.int64)
    value = np.zeros(capacity)
    missing_left = np.zeros(capacity, np.uint8)
    samples = np.arange(n)
    sorted_rows = order.copy()  # row f, segment [start, end): the node's rows by feature f
    features = np.arange(n_features)
    constant_features = np.arange(n_features)
    values = np.empty(n, np.float32)
    sorted_features = np.empty(n_features, np.int64)
    best, kept = np.empty(5), np.empty(5)  # proxy, position, feature, threshold, missing values' side
    goes_left = np.zeros(n, np.bool_)
    scratch = np.empty(n, np.int64)
    state = np.array([np.uint64(seed)])
    # the builder's stack: start, end, depth, parent, is_left, features known constant; the node's impurity
    stack = np.zeros((capacity, 6), np.int64)
    stack_impurity = np.empty(capacity)
    stack[0, 1], stack[0, 3] = n, -1
    stack_impurity[0] = np.inf
    top, node_count, deepest, total = 1, 0, 0, float(n)
    while top > 0:
        top -= 1
        start, end, depth, parent = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        is_left, n_known = stack[top, 4], stack[top, 5]
        node_impurity = stack_impurity[top]
        weight = float(end - start)
        sum_total, sq_total = 0.0, 0.0  # the criterion's init, in the node's row order
        for p in range(start, end):
            yi = y[samples[p]]
            sum_total += yi
            sq_total += yi * yi
        leaf = depth >= max_depth or end - start < min_samples_split or end - start < 2 * min_samples_leaf
        if parent == -1:
            node_impurity = sq_total / weight - (sum_total / weight) ** 2
        leaf = leaf or node_impurity <= EPSILON
        best_pos, best_feature, best_threshold, best_missing_left = end, 0, 0.0, False
        impurity_left, impurity_right, improvement, n_total = 0.0, 0.0, 0.0, n_known
        if not leaf:  # the best splitter's node_split (sklearn/tree/_splitter.pyx node_split_best)
            best[:] = 0.0
            best[0], best[1] = -np.inf, end
            f_i, n_visited, n_found, n_drawn = n_features, 0, 0, 0
            # Features the splitter sorted at this node, in order, and how many of them the rows in ``samples``
            # are in the order of: a feature with equal values is sorted only when its order matters.
            n_sorted, settled = 0, 0
            while f_i > n_total and (n_visited < n_features or n_visited <= n_found + n_drawn):
                n_visited += 1
                f_j = rand_int(n_drawn, f_i - n_found, state)
                if f_j < n_known:
                    features[n_drawn], features[f_j] = features[f_j], features[n_drawn]
                    n_drawn += 1
                    continue
                f_j += n_found
                f = features[f_j]
                sorted_features[n_sorted] = f
                n_sorted += 1
                equal_values = False
                for p in range(start, end):
                    values[p] = X[sorted_rows[f, p], f]
                    equal_values = equal_values or (p > start and values[p] == values[p - 1])
                if not equal_values:  # one order by value: the one scikit-learn's sort leaves
                    samples[start:end] = sorted_rows[f, start:end]
                    settled = n_sorted
                if values[end - 1] <= values[start] + FEATURE_THRESHOLD:  # constant in this node
                    features[f_j], features[n_total] = features[n_total], features[f_j]
                    n_found += 1
                    n_total += 1
                    continue
                f_i -= 1
                features[f_i], features[f_j] = features[f_j], features[f_i]
                kept[:] = best
                if equal_values and scan_splits(values, sorted_rows[f], y, f, start, end, min_samples_leaf,
                                                sum_total, weight, best, True):
                    continue  # the runs of equal values sum alike in any order: scikit-learn's order can wait
                if equal_values:
                    best[:] = kept
                    settle_order(X, samples, values, start, end, sorted_features, settled, n_sorted)
                    settled = n_sorted
                scan_splits(values, samples, y, f, start, end, min_samples_leaf, sum_total, weight, best, False)
            best_pos, best_feature, best_threshold = np.int64(best[1]), np.int64(best[2]), best[3]
            best_missing_left = best[4] != 0.0
            if best_pos < end:
                # partition_samples_final: from the last sorted feature's order, swaps from the right end
                settle_order(X, samples, values, start, end, sorted_features, settled, n_sorted)
                low, high = start, end
                while low < high:
                    if np.float64(X[samples[low], best_feature]) <= best_threshold:
                        low += 1
                    else:
                        high -= 1
                        samples[low], samples[high] = samples[high], samples[low]
                if best_pos - start <= end - best_pos:  # the criterion's update(best_pos) after a reset
                    sum_left, weight_left = 0.0, 0.0
                    for q in range(start, best_pos):
                        sum_left += y[samples[q]]
                        weight_left += 1.0
                else:
                    sum_left, weight_left = sum_total, weight
                    for q in range(end - 1, best_pos - 1, -1):
                        sum_left -= y[samples[q]]
                        weight_left -= 1.0
                weight_right = weight - weight_left
                sum_right = sum_total - sum_left
                sq_left = 0.0
                for q in range(start, best_pos):
                    yi = y[samples[q]]
                    sq_left += yi * yi
                impurity_left = sq_left / weight_left - (sum_left / weight_left) ** 2
                impurity_right = (sq_total - sq_left) / weight_right - (sum_right / weight_right) ** 2
                improvement = (weight / total) * (node_impurity - weight_right / weight * impurity_right
                                                  - weight_left / weight * impurity_left)
            # known constants keep their order for the children; the newly found follow them
            features[:n_known] = constant_features[:n_known]
            constant_features[n_known:n_total] = features[n_known:n_total]
            leaf = best_pos >= end or improvement + EPSILON < min_impurity_decrease
        node = node_count
        node_count += 1
        if parent != -1:
            if is_left:
                left[parent] = node
            else:
                right[parent] = node
        impurity[node] = node_impurity
        count[node] = end - start
        value[node] = sum_total / weight
        deepest = max(deepest, depth)
        if leaf:
            continue
        feature[node], threshold[node], missing_left[node] = best_feature, best_threshold, best_missing_left
        for q in range(start, end):
            goes_left[samples[q]] = q < best_pos
        for f in range(n_features):  # each feature's order, split stably between the children
            low, high = start, best_pos
            for q in range(start, end):
                row = sorted_rows[f, q]
                if goes_left[row]:
                    scratch[low] = row
                    low += 1
                else:
                    scratch[high] = row
                    high += 1
            sorted_rows[f, start:end] = scratch[start:end]
        # the right child is pushed first, so the left one is grown first
        for entry, (low, high, child_left) in enumerate(((best_pos, end, 0), (start, best_pos, 1))):
            stack[top + entry, 0], stack[top + entry, 1], stack[top + entry, 2] = low, high, depth + 1
            stack[top + entry, 3], stack[top + entry, 4], stack[top + entry, 5] = node, child_left, n_total
        stack_impurity[top], stack_impurity[top + 1] = impurity_right, impurity_left
        top += 2
    return node_count, left, right, feature, threshold, impurity, count, value, missing_left, deepest
