using Coin.Engine.Runtime;

namespace Coin.Tests.Running;

public sealed class NativeAllocatorTests
{
    private const long GiB = 1L << 30;

    [TestCase(12 * GiB, 11 * GiB, true, TestName = "A 7B NF4 run (12 GiB resident of 23) is large")]
    [TestCase(2 * GiB, 21 * GiB, true, TestName = "Two decoder layers at 7B widths with CLIP-L (2 GiB of 23) are large")]
    [TestCase(GiB / 2, 22 * GiB, false, TestName = "A test-sized model (0.5 GiB of 22.5) is small")]
    [TestCase(GiB / 2, 0, true, TestName = "Any model is large when nothing is left")]
    public void The_compact_setting_is_for_models_that_hold_a_sixteenth_of_the_memory(long resident, long available, bool large)
        => Assert.That(NativeAllocator.IsLarge(resident, available), Is.EqualTo(large));

    [Test, NonParallelizable]
    public void The_environments_threshold_wins_and_is_named()
    {
        Environment.SetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_", "4194304");
        try
        {
            Assert.That(NativeAllocator.ChooseFor(12 * GiB, GiB), Does.Contain("MALLOC_MMAP_THRESHOLD_=4194304"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_", null);
        }
    }
}
