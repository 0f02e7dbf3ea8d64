"""The check before submission: a job that no node of its partition could hold is named with the key to change."""

from disrec.cluster import Node, Request, parse_sinfo, unschedulable

SINFO = """cpu*|2|7900|(null)
gpu|16|128000|gpu:a100:4(S:0-1)
gpu|8|64000|gpu:2
"""


def test_sinfo_lines_become_nodes():
    assert parse_sinfo(SINFO) == [Node("cpu", 2, 7900, 0, True), Node("gpu", 16, 128000, 4, False),
                                  Node("gpu", 8, 64000, 2, False)]
    assert parse_sinfo("debug*|4|16000+|gpu:tesla:1,gpu:v100:2\n") == [Node("debug", 4, 16000, 3, True)]


def test_requests_that_fit_some_node_pass():
    nodes = parse_sinfo(SINFO)
    assert unschedulable([Request("split", 1, 4000, 0, None), Request("train", 8, 16000, 2, "gpu"),
                          Request("evaluate", 12, 100000, 0, "gpu")], nodes) == []


def test_a_request_no_node_holds_names_rule_partition_and_profile_keys():
    nodes = parse_sinfo(SINFO)
    problems = unschedulable([Request("evaluate", 4, 16000, 0, None), Request("train", 16, 16000, 8, "gpu"),
                              Request("tune", 4, 16000, 1, "gpus")], nodes)
    assert problems == [
        "rule 'evaluate' asks 4 CPUs, 16000 MB and 0 GPUs; no node of partition 'cpu' has them (at most 2 CPUs, "
        "7900 MB, 0 GPUs): lower set-threads.evaluate or set-resources.evaluate (mem_mb, gpu) in the profile, or "
        "send the rule to another partition (slurm_partition)",
        "rule 'train' asks 16 CPUs, 16000 MB and 8 GPUs; no node of partition 'gpu' has them (at most 16 CPUs, "
        "128000 MB, 4 GPUs): lower set-threads.train or set-resources.train (mem_mb, gpu) in the profile, or send "
        "the rule to another partition (slurm_partition)",
        "rule 'tune': partition 'gpus' is not on this cluster (sinfo lists cpu, gpu); set slurm_partition for it "
        "in the profile",
    ]
