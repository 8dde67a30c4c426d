"""How well a Pose-NDF prior does on a dataset's held-out subjects: separation of real from
noisy poses, distance accuracy, projection and far field (evaluate; ``posefield prior eval``)."""
