// Marks one symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK), so the dynamic loader
// accepts a libstdc++ that lacks that version. TorchSharp 0.107's libLibTorchSharp.so is built with GCC 13 and
// declares GLIBCXX_3.4.32 although the only symbol under it is a marker with no relocation; Debian 12 ships
// libstdc++ up to 3.4.30. This file is compiled both into the MSBuild task below (netstandard2.0 API only) and
// into the tests.
using System;
using System.IO;
using System.Text;

namespace Coin.Build
{
    public enum ElfPatchOutcome { Patched, AlreadyWeak, VersionNotNeeded }

    public static class ElfVersionNeeds
    {
        const uint ShtGnuVerneed = 0x6ffffffe;
        const ushort VerFlagWeak = 0x2;

        /// <summary>Sets VER_FLG_WEAK on the Vernaux entry named <paramref name="versionName"/>. Writes a new
        /// file and renames it over the old one (breaking hard links into a package cache) and keeps its
        /// modification time so incremental builds do not see a change.</summary>
        public static ElfPatchOutcome MarkWeak(string path, string versionName)
        {
            byte[] image = File.ReadAllBytes(path);
            int flagsOffset = FindVernauxFlagsOffset(image, versionName, path);
            if (flagsOffset < 0) return ElfPatchOutcome.VersionNotNeeded;
            ushort flags = BitConverter.ToUInt16(image, flagsOffset);
            if ((flags & VerFlagWeak) != 0) return ElfPatchOutcome.AlreadyWeak;
            ushort weak = (ushort)(flags | VerFlagWeak);
            image[flagsOffset] = (byte)(weak & 0xff);
            image[flagsOffset + 1] = (byte)(weak >> 8);

            DateTime modified = File.GetLastWriteTimeUtc(path);
            string temporary = path + ".coin-patch.tmp";
            File.WriteAllBytes(temporary, image);
            File.SetLastWriteTimeUtc(temporary, modified);
            // Rename over the target (netstandard2.0, which MSBuild's inline tasks compile against, has File.Replace).
            File.Replace(temporary, path, null);
            return ElfPatchOutcome.Patched;
        }

        /// <summary>True when the named version requirement exists and is weak.</summary>
        public static bool IsWeak(string path, string versionName)
        {
            byte[] image = File.ReadAllBytes(path);
            int offset = FindVernauxFlagsOffset(image, versionName, path);
            return offset >= 0 && (BitConverter.ToUInt16(image, offset) & VerFlagWeak) != 0;
        }

        /// <returns>The byte offset of vna_flags for the version, or -1 when no Vernaux names it.</returns>
        public static int FindVernauxFlagsOffset(byte[] image, string versionName, string pathForErrors)
        {
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw new InvalidDataException($"{pathForErrors}: not an ELF file");
            if (image[4] != 2 || image[5] != 1)
                throw new InvalidDataException($"{pathForErrors}: only little-endian ELF64 is supported");

            long sectionTable = (long)BitConverter.ToUInt64(image, 0x28);
            int entrySize = BitConverter.ToUInt16(image, 0x3A);
            int count = BitConverter.ToUInt16(image, 0x3C);
            for (int i = 0; i < count; i++)
            {
                int header = checked((int)(sectionTable + (long)i * entrySize));
                if (BitConverter.ToUInt32(image, header + 4) != ShtGnuVerneed) continue;
                int offset = checked((int)BitConverter.ToUInt64(image, header + 0x18));
                int linkedStrings = (int)BitConverter.ToUInt32(image, header + 0x28);
                int needCount = (int)BitConverter.ToUInt32(image, header + 0x2C);
                int stringsHeader = checked((int)(sectionTable + (long)linkedStrings * entrySize));
                int strings = checked((int)BitConverter.ToUInt64(image, stringsHeader + 0x18));
                return ScanVerneed(image, offset, needCount, strings, versionName);
            }
            return -1;
        }

        static int ScanVerneed(byte[] image, int need, int needCount, int strings, string versionName)
        {
            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(image, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(image, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int name = strings + (int)BitConverter.ToUInt32(image, aux + 8);
                    if (ReadCString(image, name) == versionName) return aux + 4;
                    aux += (int)BitConverter.ToUInt32(image, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(image, need + 12);
            }
            return -1;
        }

        static string ReadCString(byte[] image, int offset)
        {
            int end = Array.IndexOf(image, (byte)0, offset);
            return Encoding.ASCII.GetString(image, offset, end - offset);
        }
    }

#if !COIN_NO_MSBUILD
    /// <summary>MSBuild task: marks <see cref="VersionName"/> weak in each of <see cref="Files"/> that exists.</summary>
    public sealed class MarkElfVersionWeak : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required] public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();
        [Microsoft.Build.Framework.Required] public string VersionName { get; set; } = "";

        public override bool Execute()
        {
            foreach (var item in Files)
            {
                string path = item.GetMetadata("FullPath");
                if (!File.Exists(path)) continue;
                ElfPatchOutcome outcome = ElfVersionNeeds.MarkWeak(path, VersionName);
                if (outcome == ElfPatchOutcome.Patched)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, $"Coin: marked {VersionName} weak in {path}");
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
