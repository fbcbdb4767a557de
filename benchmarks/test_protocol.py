#!/usr/bin/python3
"""Tests of benchmarks/protocol.py's logic on fake timings: /usr/bin/python3 benchmarks/test_protocol.py
(standard library only; not part of mvn verify)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402


def rounds_of(*per_round):
    """Fake rounds: each argument is {system: {case: ms}}."""
    return [{"ms": r} for r in per_round]


class OrderTest(unittest.TestCase):
    def test_the_order_alternates_every_round(self):
        self.assertEqual(["a", "b"], protocol.alternating_order(["a", "b"], 0))
        self.assertEqual(["b", "a"], protocol.alternating_order(["a", "b"], 1))
        self.assertEqual(["a", "b"], protocol.alternating_order(["a", "b"], 2))
        self.assertEqual(["c", "b", "a"], protocol.alternating_order(["a", "b", "c"], 3))


class SummaryTest(unittest.TestCase):
    def test_min_median_and_the_median_of_the_paired_ratios(self):
        rounds = rounds_of({"l": {"m": 10.0}, "t": {"m": 20.0}},
                           {"l": {"m": 12.0}, "t": {"m": 18.0}},
                           {"l": {"m": 11.0}, "t": {"m": 33.0}})
        s = protocol.summarize(rounds, ["l", "t"], "l")
        self.assertEqual([10.0, 12.0, 11.0], s["l"]["m"]["per_round_ms"])
        self.assertEqual(10.0, s["l"]["m"]["min_ms"])
        self.assertEqual(11.0, s["l"]["m"]["median_ms"])
        self.assertNotIn("ratio_to_l", s["l"]["m"])
        self.assertEqual(18.0, s["t"]["m"]["min_ms"])
        self.assertEqual(20.0, s["t"]["m"]["median_ms"])
        # per round 20/10, 18/12, 33/11
        self.assertEqual([2.0, 1.5, 3.0], s["t"]["m"]["ratio_to_l"]["per_round"])
        self.assertEqual(2.0, s["t"]["m"]["ratio_to_l"]["median"])

    def test_the_paired_ratio_follows_a_drifting_host_where_the_ratio_of_medians_does_not(self):
        # the host slows down 3x after round 2; each round's two sides slow alike
        rounds = rounds_of({"l": {"m": 10.0}, "t": {"m": 12.0}},
                           {"l": {"m": 10.0}, "t": {"m": 12.0}},
                           {"l": {"m": 30.0}, "t": {"m": 36.0}},
                           {"l": {"m": 30.0}, "t": {"m": 36.0}})
        s = protocol.summarize(rounds, ["l", "t"], "l")
        self.assertAlmostEqual(1.2, s["t"]["m"]["ratio_to_l"]["median"])

    def test_a_case_missing_from_a_round_leaves_that_round_out_of_its_ratios(self):
        rounds = rounds_of({"l": {"a": 1.0, "b": 2.0}, "t": {"a": 3.0, "b": 4.0}},
                           {"l": {"a": 1.0}, "t": {"a": 5.0, "b": 8.0}})
        s = protocol.summarize(rounds, ["l", "t"], "l")
        self.assertEqual([2.0], s["l"]["b"]["per_round_ms"])
        self.assertEqual([4.0, 8.0], s["t"]["b"]["per_round_ms"])
        self.assertEqual([2.0], s["t"]["b"]["ratio_to_l"]["per_round"])
        self.assertEqual(4.0, s["t"]["a"]["ratio_to_l"]["median"])

    def test_geomean(self):
        self.assertAlmostEqual(4.0, protocol.geomean([2.0, 8.0]))
        self.assertIsNone(protocol.geomean([]))


class NoisyTest(unittest.TestCase):
    def test_noisy_when_the_speed_moved_more_than_ten_percent_either_way(self):
        # same work: 100 ms before; speed after / before = 100 / after
        self.assertAlmostEqual(100 / 109 - 1, protocol.speed_change(100, 109))
        self.assertFalse(protocol.is_noisy(100, 109))   # 8.3 % slower
        self.assertTrue(protocol.is_noisy(100, 112))    # 10.7 % slower
        self.assertFalse(protocol.is_noisy(100, 91))    # 9.9 % faster
        self.assertTrue(protocol.is_noisy(100, 90))     # 11.1 % faster
        self.assertFalse(protocol.is_noisy(100, 100))
        self.assertTrue(protocol.is_noisy(100, 104, threshold=0.03))


class BusyTest(unittest.TestCase):
    def test_busy_when_the_one_minute_load_exceeds_the_cpus_by_the_margin_at_any_reading(self):
        self.assertFalse(protocol.busy([[1.5, 3.0, 4.0], [2.0, 1.0, 1.0]], 2))
        # the benchmark's own 2 threads on 2 CPUs: a load just above 2 is not someone else's work
        self.assertFalse(protocol.busy([[1.5, 1.0, 1.0], [2.1, 1.0, 1.0]], 2))
        self.assertTrue(protocol.busy([[1.5, 1.0, 1.0], [2.6, 1.0, 1.0]], 2))
        self.assertFalse(protocol.busy([None], 2))


class AgreementTest(unittest.TestCase):
    def test_the_tolerance_is_relative_to_the_largest_expected_value_but_at_least_absolute(self):
        small = protocol.agreement([0.5, 0.20009], [0.5, 0.2])
        self.assertTrue(small["ok"])
        self.assertAlmostEqual(1e-4, small["tolerance"])
        self.assertFalse(protocol.agreement([0.5, 0.2002], [0.5, 0.2])["ok"])
        big = protocol.agreement([10.0, 1.0009], [10.0, 1.0])
        self.assertAlmostEqual(1e-3, big["tolerance"])
        self.assertTrue(big["ok"])
        self.assertAlmostEqual(9e-4, big["max_abs_diff"], places=9)
        self.assertFalse(protocol.agreement([10.0, 1.002], [10.0, 1.0])["ok"])
        self.assertFalse(protocol.agreement([1.0], [1.0, 2.0])["ok"])
        self.assertTrue(protocol.agreement([1.0, 1.0015], [1.0, 1.0], rel=2e-3)["ok"])


class SafetensorsTest(unittest.TestCase):
    def test_float32_files_round_trip(self):
        values = protocol.random_input([2, 3, 4], seed=5)
        self.assertEqual(values, protocol.random_input([2, 3, 4], seed=5))
        self.assertNotEqual(values, protocol.random_input([2, 3, 4], seed=6))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.safetensors")
            protocol.write_f32_safetensors(path, {"input": ([2, 3, 4], values), "b": ([1], [0.25])})
            back = protocol.read_f32_safetensors(path)
            self.assertEqual([2, 3, 4], back["input"][0])
            self.assertEqual(24, len(back["input"][1]))
            for x, y in zip(values, back["input"][1]):
                self.assertAlmostEqual(x, y, places=6)
            self.assertEqual([0.25], list(back["b"][1]))
            with open(path, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
            self.assertEqual(0, n % 8)


class OutPathTest(unittest.TestCase):
    def test_a_bare_name_goes_to_docs_bench(self):
        self.assertEqual(os.path.join(protocol.ROOT, "docs", "bench", "x.json"), protocol.out_path("x.json"))
        self.assertEqual("/tmp/x.json", protocol.out_path("/tmp/x.json"))
        self.assertEqual(["layers4j", "bench", "/elsewhere"],
                         protocol.relative([os.path.join(protocol.ROOT, "layers4j"), "bench", "/elsewhere"]))


if __name__ == "__main__":
    unittest.main()
