using Coin.Build;
using Coin.Tests.Support;

namespace Coin.Tests.Build;

/// <summary>The build marks GLIBCXX_3.4.32 weak in the output copy of libLibTorchSharp.so, idempotently, and never
/// in the NuGet cache.</summary>
public class ElfPatchTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string CachedLibrary => Path.Combine(TestPaths.NuGetPackages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Test]
    public void OutputCopiesAreMarkedWeak()
    {
        Assert.That(ElfVersionNeeds.IsWeak(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"), Version), Is.True);
        Assert.That(ElfVersionNeeds.IsWeak(Path.Combine(TestPaths.HostDirectory, "libLibTorchSharp.so"), Version), Is.True);
    }

    [Test]
    public void TheNuGetCacheIsLeftUntouched()
    {
        Assume.That(File.Exists(CachedLibrary), "TorchSharp 0.107.0 is not in the NuGet cache");
        Assert.That(ElfVersionNeeds.FindVernauxFlagsOffset(File.ReadAllBytes(CachedLibrary), Version, CachedLibrary), Is.GreaterThan(0));
        Assert.That(ElfVersionNeeds.IsWeak(CachedLibrary, Version), Is.False);
    }

    [Test]
    public void PatchingChangesOneFlagOnceAndKeepsTheModificationTime()
    {
        Assume.That(File.Exists(CachedLibrary), "TorchSharp 0.107.0 is not in the NuGet cache");
        string copy = Path.Combine(TestPaths.NewTemporaryDirectory("elf"), "libLibTorchSharp.so");
        File.Copy(CachedLibrary, copy);
        var modified = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(copy, modified);
        byte[] before = File.ReadAllBytes(copy);

        Assert.That(ElfVersionNeeds.MarkWeak(copy, Version), Is.EqualTo(ElfPatchOutcome.Patched));
        byte[] after = File.ReadAllBytes(copy);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        int flags = ElfVersionNeeds.FindVernauxFlagsOffset(before, Version, copy);
        Assert.That(changed, Is.EqualTo(new[] { flags }), "only the low byte of vna_flags changes");
        Assert.That(after[flags] & 0x2, Is.EqualTo(0x2));
        Assert.That(File.GetLastWriteTimeUtc(copy), Is.EqualTo(modified));

        Assert.That(ElfVersionNeeds.MarkWeak(copy, Version), Is.EqualTo(ElfPatchOutcome.AlreadyWeak));
        Assert.That(File.ReadAllBytes(copy), Is.EqualTo(after));
    }

    [Test]
    public void AVersionThatIsNotNeededIsReportedAndNothingIsWritten()
    {
        Assume.That(File.Exists(CachedLibrary), "TorchSharp 0.107.0 is not in the NuGet cache");
        string copy = Path.Combine(TestPaths.NewTemporaryDirectory("elf"), "lib.so");
        File.Copy(CachedLibrary, copy);
        Assert.That(ElfVersionNeeds.MarkWeak(copy, "GLIBCXX_9.9.99"), Is.EqualTo(ElfPatchOutcome.VersionNotNeeded));
        Assert.That(File.ReadAllBytes(copy), Is.EqualTo(File.ReadAllBytes(CachedLibrary)));
    }

    [Test]
    public void ANonElfFileIsRejectedWithItsPath()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("elf"), "not-elf.so");
        File.WriteAllText(path, "definitely not an ELF file, but long enough to have a header of sixty-four bytes....");
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.MarkWeak(path, Version));
        Assert.That(error!.Message, Does.Contain(path).And.Contain("not an ELF file"));
    }
}
