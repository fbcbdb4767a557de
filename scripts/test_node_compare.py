#!/usr/bin/env python3
"""Tests of node_compare.py on made-up profiles: /usr/bin/python3 scripts/test_node_compare.py"""
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_compare  # noqa: E402

TABLE = """backend: cpu, threads: 2
per node (the compiled graph, 3 nodes, 5 observed forwards; medians, sum 3.500 ms):
  node                               op                           output                      ms  share
  features_2_0_block_0_0             fused_conv                   [1, 96, 112, 112]        2.000  57.1%
  mul_2                              mul                          [1, 144, 56, 56]         1.000  28.6%
  x                                  placeholder                  [1, 3, 224, 224]         0.500  14.3%
per op:
  fused_conv                                  1 nodes     2.000 ms  57.1%
"""


def event(name, dur_us, op):
    return {"cat": "Node", "name": name + "_kernel_time", "dur": dur_us, "args": {"op_name": op}}


class NodeCompareTest(unittest.TestCase):
    def test_scope_names_become_module_names(self):
        self.assertEqual(node_compare.module_of_scope("/features/features.2/features.2.0/block/block.0/block.0.0/Conv"),
                         "features_2_0_block_0_0")
        self.assertEqual(node_compare.module_of_scope("/layer1/layer1.0/conv1/Conv"), "layer1_0_conv1")
        self.assertIsNone(node_compare.module_of_scope("Conv"))
        self.assertEqual(node_compare.module_of_scope(
            "/features/features.2/features.2.0/block/block.0/block.0.2/Mul/QuickGeluFusion/"), "features_2_0_block_0_2")

    def test_reads_every_row_of_the_layers4j_table(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(TABLE)
        nodes = node_compare.layers4j_nodes(f.name)
        self.assertEqual(nodes["features_2_0_block_0_0"], ("fused_conv", 2.0))
        self.assertEqual(nodes["mul_2"], ("mul", 1.0))
        self.assertEqual(len(nodes), 3)

    def test_ort_times_are_medians_of_the_last_runs_summed_per_module(self):
        conv = "/features/features.2/features.2.0/block/block.0/block.0.0/Conv"
        act = "/features/features.2/features.2.0/block/block.0/block.0.0/Mul"
        # a slow warm-up run, then three timed runs
        events = [event(conv, 9000, "Conv")] + [event(conv, d, "Conv") for d in (300, 400, 350)]
        events += [event(act, d, "QuickGelu") for d in (100, 100, 100)]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(events, f)
        mods = node_compare.ort_nodes(f.name, 3)
        rows = mods["features_2_0_block_0_0"]
        self.assertAlmostEqual(sum(t for _, _, t in rows), 0.35 + 0.1)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as t:
            t.write(TABLE)
        out = io.StringIO()
        with redirect_stdout(out):
            node_compare.main([t.name, f.name, "--ort-runs", "3"])
        text = out.getvalue()
        self.assertIn("features_2_0_block_0_0", text)
        self.assertIn("Conv+QuickGelu", text)
        self.assertIn("+1.550", text)  # 2.000 - (0.350 + 0.100)


    def test_nodes_of_a_fused_activation_module_go_to_its_conv(self):
        l4j = {"features_2_block_0_0": ("fused_conv", 1.0), "mul_2": ("mul", 0.5)}
        ort = {"features_2_block_0_2": [("/f/Relu_output_0_nchwc", "Conv", 0.25)],
               "features_2_block_2_fc1": [("/f/fc1/Conv", "Conv", 0.125)],
               "mul_2": [("Mul", "Mul", 0.5)]}
        merged = node_compare.fold_into_fused(ort, l4j)
        self.assertEqual(merged["features_2_block_0_0"], [("/f/Relu_output_0_nchwc", "Conv", 0.25)])
        self.assertIn("features_2_block_2_fc1", merged)  # no numbered sibling: kept as it is
        self.assertEqual(merged["mul_2"], [("Mul", "Mul", 0.5)])


if __name__ == "__main__":
    unittest.main()
