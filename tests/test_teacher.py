"""`--teacher-step auto` (parity/runs/teacher.py): a checkpoint inside the teacher's transition, from its accuracy curve."""

import pytest

from parity.runs.teacher import AUTO_CHANCE, NoTransition, pick_in_transition


def curve(*accuracies, every=250):
    return {i * every: a for i, a in enumerate(accuracies)}


def test_auto_picks_the_checkpoint_of_the_transition_closest_to_the_middle_accuracy():
    # chance until 1000, then 0.60, 0.70, 0.81, 0.95, and the target at 2250
    picked = pick_in_transition(curve(0.50, 0.51, 0.49, 0.52, 0.50, 0.60, 0.70, 0.81, 0.95, 0.995, 1.0), target=0.99)
    assert picked["window"] == [1250, 2000] and picked["middle"] == pytest.approx((AUTO_CHANCE + 0.99) / 2)
    assert picked["step"] == 1750 and picked["test_acc"] == 0.81  # |0.81 - 0.77| < |0.70 - 0.77|
    assert picked["window_test_acc"] == {"1250": 0.60, "1500": 0.70, "1750": 0.81, "2000": 0.95}
    assert "checkpoint 1750" in picked["reason"] and "4 saved steps 1250-2000" in picked["reason"]


def test_a_random_networks_early_fluctuation_is_not_the_transition():
    # 0.56 at step 250 is above chance, but the curve falls back: the transition is the last climb
    picked = pick_in_transition(curve(0.50, 0.56, 0.50, 0.74, 0.99), target=0.99)
    assert picked["window"] == [750, 750] and picked["step"] == 750


def test_ties_go_to_the_earlier_checkpoint_and_dips_inside_the_transition_stay_in_it():
    picked = pick_in_transition(curve(0.5, 0.70, 0.90, 0.70, 0.99), target=0.99)
    assert picked["window"] == [250, 750] and picked["step"] == 250


@pytest.mark.parametrize(
    "accuracies, why",
    [
        ((0.5, 0.5, 0.7, 0.9), "never reaches the target 0.99 (best 0.900, at step 750)"),
        ((0.6, 0.8, 1.0), "above chance (0.55) at every saved step before it reaches 0.99 (step 500)"),
        ((0.5, 0.5, 1.0), "no saved step lies between step 250 (accuracy 0.500) and step 500 (1.000)"),
    ],
)
def test_no_transition_in_the_saved_steps_says_why(accuracies, why):
    with pytest.raises(NoTransition, match=why.replace("(", r"\(").replace(")", r"\)")):
        pick_in_transition(curve(*accuracies), target=0.99)
