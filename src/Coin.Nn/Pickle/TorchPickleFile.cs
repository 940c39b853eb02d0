using System.Collections;
using System.IO.Compression;
using Coin.Abstractions.Plugins;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;
using static TorchSharp.torch;

namespace Coin.Nn.Pickle;

/// <summary>Reads a state dict saved by <c>torch.save</c> (<c>pytorch_model.bin</c>, LLaVA's <c>mm_projector.bin</c>):
/// the zip format of PyTorch ≥ 1.6, its pickle read by Razorvine.Pickle, which builds plain .NET objects and cannot
/// run Python. Only what a state dict holds is accepted: an (ordered) dict of tensors rebuilt from storages in the
/// archive. Tensors that share a storage (slices at an offset, transposes, tied weights) come out as PyTorch gives
/// them, each as its own contiguous copy. Anything else stops with the file and entry named.</summary>
public static class TorchPickleFile
{
    static TorchPickleFile()
    {
        // Razorvine's registry is global: these are the only globals a state dict's pickle refers to.
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", new TensorConstructor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor", new TensorConstructor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", new ParameterConstructor());
        Unpickler.registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
    }

    /// <summary>Every tensor of the state dict, in the dtype it was saved in, in the caller's dispose scope.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: not found");
        using var stream = Files.InputFile.OpenRead(path, Files.InputFile.Limits.Weights, "PyTorch checkpoint");
        var signature = new byte[4];
        if (stream.Read(signature, 0, 4) < 4 || signature[0] != 0x50 || signature[1] != 0x4b || signature[2] != 0x03 || signature[3] != 0x04)
            throw new CoinUserException($"{path}: not a zip archive: saved in PyTorch's format from before 1.6 (or not by torch.save), which is not read; " +
                                        "load and save it again with a current PyTorch, or convert it to safetensors");
        stream.Position = 0;
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new CoinUserException($"{path}: a damaged zip archive ({e.Message})");
        }
        using (archive)
        {
            var pickle = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                         ?? throw new CoinUserException($"{path}: no data.pkl in the archive: not a torch.save checkpoint");
            string prefix = pickle.FullName[..^"data.pkl".Length];
            object root;
            var unpickler = new StateDictUnpickler(path, archive, prefix);
            try
            {
                using var data = pickle.Open();
                root = unpickler.load(data);
            }
            catch (PickleException e)
            {
                throw new CoinUserException($"{path}: {pickle.FullName} holds something other than a state dict of tensors ({e.Message}); nothing of it was run");
            }
            finally
            {
                unpickler.ReleaseStorages();
                unpickler.close();
            }
            if (root is not IDictionary dictionary)
                throw new CoinUserException($"{path}: the pickle holds a {Describe(root)}, not a state dict (a dict of tensors)");
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in dictionary)
            {
                if (entry.Key is not string name) throw new CoinUserException($"{path}: a state dict key is a {Describe(entry.Key)}, not a name");
                tensors[name] = entry.Value as Tensor
                                ?? throw new CoinUserException($"{path}: entry '{name}' is a {Describe(entry.Value)}, not a tensor; only state dicts of tensors are read");
            }
            return tensors;
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        ClassDict c => $"pickled {c.ClassName} object",
        _ => value.GetType().Name,
    };

    /// <summary>A storage of the archive: its bytes, read once however many tensors view it.</summary>
    private sealed record Storage(Tensor Flat);

    private sealed class StateDictUnpickler(string path, ZipArchive archive, string prefix) : Unpickler
    {
        private readonly Dictionary<string, Storage> storages = [];

        protected override object persistentLoad(object pid)
        {
            // torch.save's persistent id: ("storage", storage type, key, location, number of elements).
            if (pid is not object[] { Length: >= 5 } id || id[0] as string != "storage")
                throw new CoinUserException($"{path}: a persistent id that is not a tensor storage");
            string type = (id[1] as ClassDictConstructor)?.name ?? throw new CoinUserException($"{path}: a storage without its type");
            string key = id[2] as string ?? Convert.ToString(id[2])!;
            long elements = Convert.ToInt64(id[4]);
            if (storages.TryGetValue(key, out var known)) return known;
            var dtype = DTypeOf(type);
            var entry = archive.GetEntry($"{prefix}data/{key}") ?? throw new CoinUserException($"{path}: storage {key} is missing from the archive");
            var flat = empty(elements, dtype: dtype);
            long bytes = elements * flat.ElementSize;
            if (entry.Length != bytes)
                throw new CoinUserException($"{path}: storage {key} has {entry.Length} bytes, its {elements} elements of {type} need {bytes}");
            if (bytes > int.MaxValue)
                throw new CoinUserException($"{path}: storage {key} is {bytes} bytes, over the 2 GiB this reader handles; convert the checkpoint to safetensors");
            var buffer = new byte[bytes];
            using (var data = entry.Open()) data.ReadExactly(buffer);
            flat.bytes = buffer;
            // Kept out of the caller's scope until the tensors viewing it are copied out (ReleaseStorages).
            flat.DetachFromDisposeScope();
            return storages[key] = new Storage(flat);
        }

        /// <summary>Frees the storages once every tensor viewing them has been copied out.</summary>
        public void ReleaseStorages()
        {
            foreach (var storage in storages.Values) storage.Flat.Dispose();
            storages.Clear();
        }

        private ScalarType DTypeOf(string storage) => storage switch
        {
            "FloatStorage" => ScalarType.Float32,
            "DoubleStorage" => ScalarType.Float64,
            "HalfStorage" => ScalarType.Float16,
            "BFloat16Storage" => ScalarType.BFloat16,
            "LongStorage" => ScalarType.Int64,
            "IntStorage" => ScalarType.Int32,
            "ShortStorage" => ScalarType.Int16,
            "CharStorage" => ScalarType.Int8,
            "ByteStorage" => ScalarType.Byte,
            "BoolStorage" => ScalarType.Bool,
            _ => throw new CoinUserException($"{path}: storage type {storage} is not read"),
        };
    }

    /// <summary><c>_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])</c>: the view
    /// PyTorch would make, copied out of the shared storage.</summary>
    private sealed class TensorConstructor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < 4 || args[0] is not Storage storage)
                throw new PickleException("a tensor rebuilt from something other than a storage of the archive");
            long offset = Convert.ToInt64(args[1]);
            long[] size = ((object[])args[2]).Select(Convert.ToInt64).ToArray();
            long[] stride = ((object[])args[3]).Select(Convert.ToInt64).ToArray();
            long last = offset + size.Zip(stride, (n, s) => n == 0 ? 0 : (n - 1) * s).Sum();
            if (offset < 0 || size.Any(n => n < 0) || size.All(n => n > 0) && last >= storage.Flat.shape[0])
                throw new PickleException($"a tensor of size [{string.Join(", ", size)}] at offset {offset} lies outside its storage of {storage.Flat.shape[0]} elements");
            return storage.Flat.as_strided(size, stride, offset).contiguous().clone();
        }
    }

    private sealed class ParameterConstructor : IObjectConstructor
    {
        public object construct(object[] args)
            => throw new PickleException("it holds nn.Parameter objects: a whole pickled model, not its state dict (save model.state_dict())");
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) => new OrderedState();
    }

    /// <summary>An OrderedDict; BUILD hands it the dict's attributes (a state dict's <c>_metadata</c>: module
    /// versions), which hold no weights and are dropped.</summary>
    private sealed class OrderedState : Hashtable
    {
        public void __setstate__(object state) { }
    }
}
