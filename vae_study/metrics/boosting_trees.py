"""The regression trees of gradient boosting: one round's trees grown level by level on features
sorted once, their predictions, and their nodes in scikit-learn's order.

The trees are scikit-learn 1.9's ``DecisionTreeRegressor(criterion="squared_error",
splitter="best", max_depth=d)`` with ``min_samples_split=2``, ``min_samples_leaf=1``, all
features and ``min_impurity_decrease=0``, the tree ``GradientBoostingClassifier`` fits per class
and round (``sklearn/ensemble/_gb.py`` ``_fit_stage``). Their rules, from
``sklearn/tree/_tree.pyx`` (``DepthFirstTreeBuilder.build``), ``_splitter.pyx``
(``node_split_best``), ``_partitioner.pyx`` (``DensePartitioner.next_p``) and ``_criterion.pyx``
(``MSE``):

* a node is a leaf at depth d, with fewer than 2 samples, or when its impurity (the variance of
  its targets) is at most EPSILON, float64's machine epsilon;
* a feature's candidate thresholds lie between consecutive sorted values ``a < b`` of the node
  with ``b > a + FEATURE_THRESHOLD``, summed in float32 (the constant is a float32 1e-7, and
  values closer than that are one value), at ``a / 2 + b / 2`` in float64; that midpoint of two
  float32 values is exact, so it never equals ``b`` (older scikit-learn then took ``a``);
* the split maximises the proxy ``S_L^2 / n_L + S_R^2 / n_R`` (S the sum of the targets): the
  first threshold wins within a feature, and ties between features go to a random one, as
  scikit-learn's per-node random feature order does;
* the split is kept if its impurity improvement ``n / N (I - n_L / n I_L - n_R / n I_R)`` is at
  least -EPSILON (``min_impurity_decrease`` = 0); a child's stored impurity is the one computed
  at its parent's split, ``I_L = Q_L / n_L - (S_L / n_L)^2`` with Q the sum of squares.

scikit-learn 1.9 fits with ``squared_error``; the 0.20 reference's ``friedman_mse`` has the same
improvement ``n_L n_R / n (S_L / n_L - S_R / n_R)^2`` for unit weights, hence the same splits.

What differs is the order of work. scikit-learn sorts each node's samples on each feature. Here
each feature is sorted once per fit (the codes never change across rounds), and one pass over a
feature's sorted samples finds the best split of every node at one depth of every tree of the
round, from a running (count, sum, sum of squares) per tree and node. Nodes are numbered as a
heap: the root is 1, the children of node i are 2i and 2i + 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

EPSILON = float(np.finfo(np.float64).eps)
FEATURE_THRESHOLD = np.float32(1e-7)
NO_FEATURE = -2  # scikit-learn's TREE_UNDEFINED, the feature and threshold of a leaf
# Below a node's root, a feature with at most this many distinct values is searched from
# per-node histograms of its values (exact: one bin per value), the others by a sorted scan.
MAX_BINS = 256


@dataclass(frozen=True)
class SortedFeatures:
    """Each feature's sample order (D, n) and its values in that order (D, n), float32; and for
    the ``binned`` features (F,), those with at most MAX_BINS distinct values, each sample's
    distinct-value index ``bins`` (n, F) and the distinct values ``bin_values`` (F, V), padded
    with +inf. ``scanned`` (D - F,) are the others."""

    order: np.ndarray
    values: np.ndarray
    binned: np.ndarray
    scanned: np.ndarray
    bins: np.ndarray
    bin_values: np.ndarray


@dataclass(frozen=True)
class RoundTrees:
    """One round's T trees as heap arrays (T, 2^(depth+1)); index 0 is unused.

    ``feature`` is NO_FEATURE at leaves and unused slots; ``count``, ``total`` (sum of targets),
    ``impurity`` describe each node; ``leaf_of`` (n, T) is the leaf of each training sample.
    """

    feature: np.ndarray
    threshold: np.ndarray
    count: np.ndarray
    total: np.ndarray
    impurity: np.ndarray
    leaf_of: np.ndarray


def sort_features(x: np.ndarray) -> SortedFeatures:
    """The sorted order and values of each column of ``x`` (n, D) float32, and its bins."""
    order = np.ascontiguousarray(np.argsort(x, axis=0, kind="stable").T)
    values = np.ascontiguousarray(np.take_along_axis(x, order.T, axis=0).T)
    distinct = [np.unique(column, return_inverse=True) for column in x.T]
    binned = np.array([f for f, (v, _) in enumerate(distinct) if v.size <= MAX_BINS], dtype=int)
    scanned = np.setdiff1d(np.arange(x.shape[1]), binned)
    width = max((distinct[f][0].size for f in binned), default=0)
    bin_values = np.full((binned.size, width), np.inf, dtype=np.float32)
    bins = np.empty((x.shape[0], binned.size), dtype=np.int32)
    for a, f in enumerate(binned):
        bin_values[a, : distinct[f][0].size] = distinct[f][0]
        bins[:, a] = distinct[f][1]
    return SortedFeatures(order, values, binned, scanned, bins, bin_values)


# A candidate split is screened with S_L^2 n_R + S_R^2 n_L > best n_L n_R, free of divisions and
# a little looser than exact; only candidates that pass get the proxy, computed as scikit-learn
# computes it, and the exact comparison.
SCREEN = 1.0 - 1e-12


@numba.njit(cache=True, nogil=True)
def _root_splits(order, values, targets, total):
    """Per feature and tree (D, T), the best split of the root (all samples): its proxy (-inf if
    the feature is constant) and threshold. ``total`` (T,) is the sum of each tree's targets.

    The root's count and previous value are the same for every tree, so the inner loops run over
    the trees of the round, contiguous in memory.
    """
    num_features, n = order.shape
    num_trees = targets.shape[1]
    best_proxy = np.full((num_features, num_trees), -np.inf)
    best_threshold = np.full((num_features, num_trees), float(NO_FEATURE))
    left_sum = np.zeros(num_trees)
    for f in range(num_features):
        left_sum[:] = 0.0
        proxy_f = best_proxy[f]
        threshold_f = best_threshold[f]
        previous = values[f, 0]
        for i in range(n):
            value = values[f, i]
            if i > 0 and value > previous + FEATURE_THRESHOLD:
                n_left, n_right = float(i), float(n - i)
                for t in range(num_trees):
                    sum_left = left_sum[t]
                    sum_right = total[t] - sum_left
                    cross = sum_left * sum_left * n_right + sum_right * sum_right * n_left
                    if cross > proxy_f[t] * (n_left * n_right) * SCREEN:
                        proxy = sum_left * sum_left / n_left + sum_right * sum_right / n_right
                        if proxy > proxy_f[t]:
                            proxy_f[t] = proxy
                            threshold_f[t] = previous / 2.0 + value / 2.0
            row = targets[order[f, i]]
            for t in range(num_trees):
                left_sum[t] += row[t]
            previous = value
    return best_proxy, best_threshold


@numba.njit(cache=True, nogil=True)
def _node_splits(order, values, scanned, targets, slot_of, active, count, total):
    """Per feature and slot (D, slots), the best split of each active node of each tree: its
    proxy (-inf if none) and threshold, for the features ``scanned`` (others stay -inf).
    ``slot_of`` (n, T) is the slot of each sample's node in each tree (-1 in a leaf); ``active``,
    ``count`` and ``total`` are per slot. One running count, sum and previous value per slot."""
    num_features, n = order.shape
    num_trees = targets.shape[1]
    num_slots = count.size
    best_proxy = np.full((num_features, num_slots), -np.inf)
    best_threshold = np.full((num_features, num_slots), float(NO_FEATURE))
    left_count = np.zeros(num_slots)
    left_sum = np.zeros(num_slots)
    previous = np.zeros(num_slots, dtype=np.float32)
    for f in scanned:
        left_count[:] = 0.0
        left_sum[:] = 0.0
        proxy_f = best_proxy[f]
        threshold_f = best_threshold[f]
        for i in range(n):
            s = order[f, i]
            value = values[f, i]
            slots = slot_of[s]
            row = targets[s]
            for t in range(num_trees):
                k = slots[t]
                if k < 0 or not active[k]:
                    continue
                n_left = left_count[k]
                if n_left > 0.0 and value > previous[k] + FEATURE_THRESHOLD:
                    n_right = count[k] - n_left
                    sum_left = left_sum[k]
                    sum_right = total[k] - sum_left
                    cross = sum_left * sum_left * n_right + sum_right * sum_right * n_left
                    if cross > proxy_f[k] * (n_left * n_right) * SCREEN:
                        proxy = sum_left * sum_left / n_left + sum_right * sum_right / n_right
                        if proxy > proxy_f[k]:
                            proxy_f[k] = proxy
                            threshold_f[k] = previous[k] / 2.0 + value / 2.0
                left_count[k] = n_left + 1.0
                left_sum[k] += row[t]
                previous[k] = value
    return best_proxy, best_threshold


@numba.njit(cache=True, nogil=True)
def _histograms(bins, width, targets, slot_of, build):
    """Per slot with build[slot] and binned feature (slots, F, width, 2): the count and sum of
    the targets of the slot's samples at each distinct value of the feature."""
    n, num_trees = targets.shape
    num_binned = bins.shape[1]
    histogram = np.zeros((build.size, num_binned, width, 2))
    for s in range(n):
        slots = slot_of[s]
        row = targets[s]
        sample_bins = bins[s]
        for t in range(num_trees):
            k = slots[t]
            if k < 0 or not build[k]:
                continue
            y = row[t]
            for a in range(num_binned):
                cell = histogram[k, a, sample_bins[a]]
                cell[0] += 1.0
                cell[1] += y
    return histogram


@numba.njit(cache=True, nogil=True)
def _histogram_splits(histogram, bin_values, binned, active, count, total, out):
    """:func:`_node_splits` for the ``binned`` features from their histograms, into ``out`` =
    (proxy, threshold) (D, slots): a scan of each feature's distinct values in the node with the
    sorted scan's candidates, proxy and first-wins rule."""
    num_binned, width = bin_values.shape
    best_proxy, best_threshold = out
    for k in range(count.size):
        if not active[k]:
            continue
        n_node = count[k]
        for a in range(num_binned):
            f = binned[a]
            n_left = 0.0
            sum_left = 0.0
            previous = bin_values[a, 0]
            for b in range(width):
                c = histogram[k, a, b, 0]
                if c == 0.0:
                    continue
                value = bin_values[a, b]
                if n_left > 0.0 and value > previous + FEATURE_THRESHOLD:
                    n_right = n_node - n_left
                    sum_right = total[k] - sum_left
                    cross = sum_left * sum_left * n_right + sum_right * sum_right * n_left
                    if cross > best_proxy[f, k] * (n_left * n_right) * SCREEN:
                        proxy = sum_left * sum_left / n_left + sum_right * sum_right / n_right
                        if proxy > best_proxy[f, k]:
                            best_proxy[f, k] = proxy
                            best_threshold[f, k] = previous / 2.0 + value / 2.0
                n_left += c
                sum_left += histogram[k, a, b, 1]
                previous = value


def _level_histograms(
    features: SortedFeatures,
    targets: np.ndarray,
    slot_of: np.ndarray,
    first: int,
    count: np.ndarray,
    feature: np.ndarray,
    active: np.ndarray,
    parents: np.ndarray | None,
) -> np.ndarray:
    """The binned features' histograms of the nodes first..2 first - 1 of every tree, in slot
    order (node - first) * T + tree. With the parents' histograms, only the smaller child of
    each split is counted and its sibling is its parent's minus its own (as LightGBM does)."""
    width = features.bin_values.shape[1]
    if parents is None:
        return _histograms(features.bins, width, targets, slot_of, active.ravel())
    num_trees = count.shape[0]
    node = np.arange(first, 2 * first)[:, None]
    tree = np.arange(num_trees)[None, :]
    own, sibling = count[tree, node], count[tree, node ^ 1]
    has_parent = feature[tree, node // 2] >= 0
    counted = has_parent & ((own < sibling) | ((own == sibling) & (node % 2 == 0)))
    histogram = _histograms(features.bins, width, targets, slot_of, counted.ravel())
    derived = np.nonzero((has_parent & ~counted & active).ravel())[0]
    j, t = np.divmod(derived, num_trees)
    parent_slot = ((first + j) // 2 - first // 2) * num_trees + t
    sibling_slot = (((first + j) ^ 1) - first) * num_trees + t
    histogram[derived] = parents[parent_slot] - histogram[sibling_slot]
    return histogram


@numba.njit(cache=True, nogil=True)
def _root_sums(targets):
    """Sum and sum of squares (T,) of each tree's targets, in sample order."""
    n, num_trees = targets.shape
    total = np.zeros(num_trees)
    square = np.zeros(num_trees)
    for s in range(n):
        for t in range(num_trees):
            y = targets[s, t]
            total[t] += y
            square[t] += y * y
    return total, square


@numba.njit(cache=True, nogil=True)
def _partition(x, targets, node_of, slot_of, first, feature, threshold):
    """Move each sample of a split node to its child (left if x <= threshold) and set its slot
    at the children's depth (children numbered from ``first``), or -1 where its node is a leaf.
    Returns each node's (count, sum, sum of squares) of the samples moved into it (T, size, 3)."""
    n, num_trees = node_of.shape
    size = feature.shape[1]
    sums = np.zeros(num_trees * size * 3)
    for s in range(n):
        for t in range(num_trees):
            node = node_of[s, t]
            f = feature[t, node]
            if f < 0:
                slot_of[s, t] = -1
                continue
            child = 2 * node + (x[s, f] > threshold[t, node])
            node_of[s, t] = child
            slot_of[s, t] = (child - first) * num_trees + t
            y = targets[s, t]
            b = 3 * (t * size + child)
            sums[b] += 1.0
            sums[b + 1] += y
            sums[b + 2] += y * y
    return sums.reshape(num_trees, size, 3)


@numba.njit(cache=True, nogil=True)
def _merge_children(node_of, slot_of, merged):
    """Send the samples of the children of each merged[t, node] node back to it, a leaf."""
    n, num_trees = node_of.shape
    for s in range(n):
        for t in range(num_trees):
            parent = node_of[s, t] // 2
            if merged[t, parent]:
                node_of[s, t] = parent
                slot_of[s, t] = -1


def _choose_features(
    proxy: np.ndarray, threshold: np.ndarray, rng: np.random.RandomState
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per slot, the best feature of the per-feature bests (D, slots): whether a split exists,
    its feature and threshold; features with equal proxies tie, and the tie goes at random."""
    best = proxy.max(axis=0)
    priority = np.where(proxy == best, rng.random_sample(proxy.shape), np.inf)
    feature = np.argmin(priority, axis=0)
    slots = np.arange(proxy.shape[1])
    return best > -np.inf, feature, threshold[feature, slots]


def grow_trees(
    features: SortedFeatures,
    x: np.ndarray,
    targets: np.ndarray,
    max_depth: int,
    rng: np.random.RandomState,
) -> RoundTrees:
    """Grow one regression tree of depth <= ``max_depth`` per column of ``targets`` (n, T) on
    ``x`` (n, D) float32; ``rng`` breaks ties between features."""
    n, num_trees = targets.shape
    size = 2 ** (max_depth + 1)
    feature = np.full((num_trees, size), NO_FEATURE, dtype=np.int32)
    threshold = np.full((num_trees, size), float(NO_FEATURE))
    count = np.zeros((num_trees, size), dtype=np.int64)
    total = np.zeros((num_trees, size))
    square = np.zeros((num_trees, size))
    impurity = np.zeros((num_trees, size))
    node_of = np.ones((n, num_trees), dtype=np.int32)
    slot_of = np.empty((n, num_trees), dtype=np.int32)
    count[:, 1] = n
    total[:, 1], square[:, 1] = _root_sums(targets)
    impurity[:, 1] = square[:, 1] / n - (total[:, 1] / n) ** 2
    histograms = None
    for depth in range(max_depth):
        first, stop = 2**depth, 2 ** (depth + 1)
        # (node - first, tree), the search's slot order
        active = ((count[:, first:stop] >= 2) & (impurity[:, first:stop] > EPSILON)).T
        if not active.any():
            break
        if depth == 0:
            proxy, best_threshold = _root_splits(
                features.order, features.values, targets, total[:, 1].copy()
            )
        else:
            slots = (
                targets,
                slot_of,
                active.ravel(),
                count[:, first:stop].T.astype(np.float64).ravel(),
                total[:, first:stop].T.ravel(),
            )
            proxy, best_threshold = _node_splits(
                features.order, features.values, features.scanned, *slots
            )
            if features.binned.size:
                histograms = _level_histograms(
                    features, targets, slot_of, first, count, feature, active, histograms
                )
                _histogram_splits(
                    histograms,
                    features.bin_values,
                    features.binned,
                    *slots[2:],
                    (proxy, best_threshold),
                )
        found, best_feature, best_threshold = _choose_features(proxy, best_threshold, rng)
        split = active & found.reshape(active.shape)
        j, tree = np.nonzero(split)
        node = first + j
        feature[tree, node] = best_feature.reshape(active.shape)[split]
        threshold[tree, node] = best_threshold.reshape(active.shape)[split]
        moved = _partition(x, targets, node_of, slot_of, stop, feature, threshold)
        count += moved[..., 0].astype(np.int64)
        total += moved[..., 1]
        square += moved[..., 2]

        # children impurities as scikit-learn's MSE.children_impurity: the left child's sums
        # over its samples, the right child's as the parent's minus the left's
        left, n_parent = 2 * node, count[tree, node].astype(np.float64)
        n_left = count[tree, left].astype(np.float64)
        n_right = n_parent - n_left
        impurity_left = square[tree, left] / n_left - (total[tree, left] / n_left) ** 2
        impurity_right = (square[tree, node] - square[tree, left]) / n_right - (
            (total[tree, node] - total[tree, left]) / n_right
        ) ** 2
        impurity[tree, left] = impurity_left
        impurity[tree, left + 1] = impurity_right
        improvement = (n_parent / n) * (
            impurity[tree, node]
            - n_right / n_parent * impurity_right
            - n_left / n_parent * impurity_left
        )
        kept = improvement + EPSILON >= 0.0
        if not kept.all():
            merged = np.zeros((num_trees, size), dtype=np.bool_)
            merged[tree[~kept], node[~kept]] = True
            feature[merged] = NO_FEATURE
            threshold[merged] = float(NO_FEATURE)
            _merge_children(node_of, slot_of, merged)
            children = (tree[~kept], np.stack([left[~kept], left[~kept] + 1]))
            for stat in (count, total, square, impurity):
                stat[children] = 0
    return RoundTrees(feature, threshold, count, total, impurity, node_of)


@numba.njit(cache=True, nogil=True)
def add_tree_predictions(x, feature, threshold, value, learning_rate, raw):
    """raw[s, t] += learning_rate * value of the leaf of x[s] in tree (m, t), for m in order:
    heap arrays (M, T, size), x (n, D) float32, raw (n, T) float64, updated in place."""
    num_rounds, num_trees, _ = feature.shape
    for s in range(x.shape[0]):
        for m in range(num_rounds):
            for t in range(num_trees):
                node = 1
                while feature[m, t, node] >= 0:
                    go_right = x[s, feature[m, t, node]] > threshold[m, t, node]
                    node = 2 * node + (1 if go_right else 0)
                raw[s, t] += learning_rate * value[m, t, node]


@dataclass(frozen=True)
class TreeArrays:
    """One tree in the layout of scikit-learn's ``sklearn.tree._tree.Tree``: nodes in depth-first
    order (a node, its left subtree, its right subtree), children -1 and feature and threshold
    NO_FEATURE at leaves, ``value`` (nodes,) the target mean or, at a leaf, the fitted value."""

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    impurity: np.ndarray
    n_node_samples: np.ndarray


def depth_first_layout(
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    impurity: np.ndarray,
    count: np.ndarray,
) -> TreeArrays:
    """A heap-numbered tree (arrays (size,)) in scikit-learn's node order."""
    heap_ids: list[int] = []
    stack = [1]
    while stack:
        node = stack.pop()
        heap_ids.append(node)
        if feature[node] >= 0:
            stack.extend((2 * node + 1, 2 * node))
    position = {node: i for i, node in enumerate(heap_ids)}
    ids = np.array(heap_ids)
    left = np.array([position[2 * node] if feature[node] >= 0 else -1 for node in heap_ids])
    right = np.array([position[2 * node + 1] if feature[node] >= 0 else -1 for node in heap_ids])
    return TreeArrays(
        children_left=left,
        children_right=right,
        feature=feature[ids],
        threshold=threshold[ids],
        value=value[ids],
        impurity=impurity[ids],
        n_node_samples=count[ids],
    )
