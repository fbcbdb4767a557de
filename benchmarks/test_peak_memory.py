#!/usr/bin/python3
"""Tests of benchmarks/peak_memory.py: /usr/bin/python3 benchmarks/test_peak_memory.py (standard library only; not
part of mvn verify). The wrapper is run on real child processes of known size."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peak_memory  # noqa: E402


class SummaryTest(unittest.TestCase):
    def test_min_median_rounds_and_the_median_ratio_to_the_first_system(self):
        rounds = [{"kib": {"l": 300, "o": 360}}, {"kib": {"l": 330, "o": 340}}, {"kib": {"l": 310, "o": 372}}]
        s = peak_memory.summarize(rounds, ["l", "o"])
        self.assertEqual(300, s["l"]["min_kib"])
        self.assertEqual(310, s["l"]["median_kib"])
        self.assertEqual([300, 330, 310], s["l"]["per_round_kib"])
        self.assertNotIn("ratio_to_l", s["l"])
        self.assertAlmostEqual(1.2, s["o"]["ratio_to_l"])  # 1.2, 1.0303, 1.2 per round


class PeakTest(unittest.TestCase):
    def test_the_peak_is_the_childs_and_grows_with_what_it_touches(self):
        small = peak_memory.peak_kib([sys.executable, "-c", "pass"], dict(os.environ))
        big = peak_memory.peak_kib([sys.executable, "-c", "b = bytearray(200 * 1024 * 1024)"], dict(os.environ))
        self.assertGreater(small, 1000)
        self.assertGreater(big - small, 190 * 1024, (small, big))

    def test_a_failing_command_is_an_error_with_its_output(self):
        with self.assertRaises(RuntimeError) as e:
            peak_memory.peak_kib([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"],
                                 dict(os.environ))
        self.assertIn("boom", str(e.exception))
        self.assertIn("exited 3", str(e.exception))


if __name__ == "__main__":
    unittest.main()
