"""Tests of train_lora.py's batching: run with the fine-tune venv (make test does).

    .venv-ft/bin/python -m unittest discover -s finetune -p 'test_*.py'
"""
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_lora as T  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMOL = os.path.join(ROOT, "models", "smollm2-135m-instruct-q4_1.gguf")


def example(prefix, rest, answer):
    ids = prefix + rest + answer
    return {"input_ids": ids, "labels": [-100] * (len(prefix) + len(rest)) + answer}


class Batching(unittest.TestCase):
    def test_every_example_once_per_pass_same_seed_same_order(self):
        exs = [example([1], [2] * n, [3]) for n in range(50)]
        one = [[e["input_ids"] for e in c] for c in T.batches(exs, 4, random.Random(7))]
        two = [[e["input_ids"] for e in c] for c in T.batches(exs, 4, random.Random(7))]
        self.assertEqual(one, two)
        seen = sorted(len(ids) for c in one for ids in c)
        self.assertEqual(seen, sorted(len(e["input_ids"]) for e in exs))
        self.assertNotEqual(one, [[e["input_ids"] for e in c] for c in T.batches(exs, 4, random.Random(8))])

    def test_length_grouping_pads_less_than_a_plain_shuffle(self):
        rng = random.Random(1)
        exs = [example([1], [2] * rng.randint(1, 400), [3]) for _ in range(512)]

        def padded(chunks):
            return sum(max(len(e["input_ids"]) for e in c) * len(c) for c in chunks)

        order = list(range(len(exs)))
        random.Random(2).shuffle(order)
        plain = [[exs[j] for j in order[i:i + 8]] for i in range(0, len(order), 8)]
        grouped = list(T.batches(exs, 8, random.Random(2)))
        self.assertLess(padded(grouped), 0.8 * padded(plain))

    def test_shared_prefix_stops_before_the_first_answer_token(self):
        p = list(range(100, 140))
        a = example(p, [1, 2], [9, 9])
        b = example(p, [1, 3, 4], [9])
        self.assertEqual(T.shared_prefix([a, b]), 41)  # p and the common 1
        # The answer starts right after the prompt: the prefix ends one short of it.
        c = example(p, [], [5])
        self.assertEqual(T.shared_prefix([c, example(p, [], [6])]), 39)
        self.assertEqual(T.shared_prefix([example([1], [2], [3]), example([4], [2], [3])]), 0)


@unittest.skipUnless(os.path.isfile(SMOL), f"{SMOL} missing: make models")
class SharedPrefixLoss(unittest.TestCase):
    """batch_loss computes the shared prompt once; loss and gradients must be
    those of one plain padded forward pass over the whole examples."""

    def test_same_loss_and_gradients_as_a_plain_pass(self):
        import torch
        from peft import LoraConfig, get_peft_model

        torch.manual_seed(0)
        tok, model = T.load_base(SMOL, torch, torch.float32)
        model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, init_lora_weights=False,
                                                 target_modules=T.target_modules("q,v,down"), task_type="CAUSAL_LM"))
        system = "You write Python Polars code. " * 8
        rows = [{"messages": [{"role": "system", "content": system},
                              {"role": "user", "content": f"Question {i}: count rows of table t{i}" + " please" * i},
                              {"role": "assistant", "content": f"result = t{i}.select(pl.len())"}]} for i in range(4)]
        chunk, _ = T.encode(tok, rows, 512)
        self.assertGreaterEqual(T.shared_prefix(chunk), T.MIN_SHARED_PREFIX)
        params = [p for p in model.parameters() if p.requires_grad]

        def grads(loss):
            for p in params:
                p.grad = None
            loss.backward()
            return torch.cat([p.grad.flatten() for p in params])

        n = max(len(e["input_ids"]) for e in chunk)
        ids = torch.tensor([e["input_ids"] + [tok.pad_token_id] * (n - len(e["input_ids"])) for e in chunk])
        lab = torch.tensor([e["labels"] + [-100] * (n - len(e["labels"])) for e in chunk])
        att = torch.tensor([[1] * len(e["input_ids"]) + [0] * (n - len(e["input_ids"])) for e in chunk])
        plain = model(input_ids=ids, attention_mask=att, labels=lab).loss
        g_plain = grads(plain)
        shared, tokens = T.batch_loss(model, chunk, tok.pad_token_id, "cpu", torch)
        g_shared = grads(shared)
        self.assertEqual(tokens, sum(len(e["input_ids"]) for e in chunk))
        self.assertAlmostEqual(float(shared), float(plain), places=4)
        self.assertLess(float((g_shared - g_plain).abs().max()), 1e-4 * float(g_plain.abs().max()))


    def test_an_untouched_adapter_merges_to_the_base_weights(self):
        """--zero-adapter's premise: merging the adapter as initialised (B = 0)
        leaves every weight of the base exactly as it was."""
        import torch
        from peft import LoraConfig, get_peft_model

        _, model = T.load_base(SMOL, torch, torch.float32)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=T.target_modules("q,k,v,o,gate,up,down"),
                                                      task_type="CAUSAL_LM"))
        after = peft_model.merge_and_unload().state_dict()
        self.assertEqual(sorted(after), sorted(before))
        for k, v in before.items():
            self.assertTrue(torch.equal(after[k], v), k)


if __name__ == "__main__":
    unittest.main()
