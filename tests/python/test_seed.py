# The seed document's own Python tests, as written there; only the module name changes
# (my_rust_lib -> hotloop).
# tests/test_my_rust_lib.py
import pytest
import numpy as np
from hotloop import (
    parallel_sum,
    word_count,
    matrix_multiply,
    DataProcessor,
)

def test_parallel_sum():
    result = parallel_sum([1, 2, 3, 4, 5])
    assert result == 15

def test_word_count():
    text = "hello world hello rust"
    counts = word_count(text)
    assert counts["hello"] == 2
    assert counts["world"] == 1
    assert counts["rust"] == 1

def test_matrix_multiply():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[5.0, 6.0], [7.0, 8.0]])
    result = matrix_multiply(a, b)
    expected = np.dot(a, b)
    np.testing.assert_array_almost_equal(result, expected)

def test_data_processor():
    processor = DataProcessor(chunk_size=3)
    processor.add_data([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])

    assert len(processor) == 6

    results = processor.process_chunks()
    assert len(results) == 2  # Two chunks of 3
    assert len(processor) == 0  # All data processed

def test_error_handling():
    from hotloop import divide
    with pytest.raises(ValueError, match="Cannot divide by zero"):
        divide(10.0, 0.0)
