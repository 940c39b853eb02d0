using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Coin.Engine.Configuration;

/// <summary>Binds a configuration section to an options type, collecting every problem as a message that names the
/// key path (dotted, as <c>--set</c> writes it) and what is accepted. Unlike ConfigurationBinder it rejects unknown
/// keys, reports unconvertible values with the expected type, and runs DataAnnotations validation.</summary>
public static class StrictBinder
{
    /// <summary>Binds <paramref name="section"/> to a new <paramref name="type"/>; problems are appended to
    /// <paramref name="errors"/>. <paramref name="path"/> is the dotted path of the section.</summary>
    /// <param name="ignoredKeys">Top-level keys that belong to someone else (the generic host's own settings).</param>
    public static object Bind(IConfiguration section, Type type, string path, List<string> errors, IReadOnlySet<string>? ignoredKeys = null)
    {
        object instance = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"cannot create {type.Name}");
        BindObject(section, instance, path, errors, ignoredKeys);
        return instance;
    }

    public static string Dotted(string configurationPath) => configurationPath.Replace(':', '.');

    private static void BindObject(IConfiguration section, object instance, string path, List<string> errors, IReadOnlySet<string>? ignoredKeys = null)
    {
        var properties = instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetSetMethod() is not null)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        if (section is IConfigurationSection { Value: { Length: > 0 } scalar } && !section.GetChildren().Any())
        {
            errors.Add($"{path}: expected an object with keys ({Accepted(properties.Values)}), found the value '{scalar}'");
            return;
        }
        foreach (var child in section.GetChildren())
        {
            if (ignoredKeys?.Contains(child.Key) == true) continue;
            string childPath = Join(path, child.Key);
            if (!properties.TryGetValue(child.Key, out var property))
            {
                errors.Add(properties.Count == 0
                    ? $"{childPath}: unknown key; this section accepts no keys"
                    : $"{childPath}: unknown key;{Suggestions.DidYouMean(child.Key, properties.Values.Select(p => CamelCase(p.Name)))} accepted: {Accepted(properties.Values)}");
                continue;
            }
            // A string declared nullable (string?) reads JSON null, which the configuration system gives as an empty
            // value, as null: "not set", as for nullable value types.
            if (property.PropertyType == typeof(string) && string.IsNullOrEmpty(child.Value) && !child.GetChildren().Any()
                && new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable)
            {
                property.SetValue(instance, null);
                continue;
            }
            var (ok, value) = BindValue(child, property.PropertyType, childPath, errors, property.GetValue(instance));
            if (ok) property.SetValue(instance, value);
        }
        Validate(instance, path, errors);
    }

    private static (bool Ok, object? Value) BindValue(IConfigurationSection section, Type type, string path, List<string> errors, object? current)
    {
        if (type == typeof(IConfigurationSection)) return (true, section);
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        // JSON null (or an empty value) clears a nullable option back to "not set".
        if (underlying != type && string.IsNullOrEmpty(section.Value) && !section.GetChildren().Any()) return (true, null);
        if (IsScalar(underlying)) return ConvertScalar(section, underlying, path, errors);
        if (underlying == typeof(ComponentList)) return BindComponents(section, path, errors);

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(List<>))
        {
            var itemType = underlying.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(underlying)!;
            foreach (var item in ChildrenOrEmpty(section, path, "a list", errors).OrderBy(c => IndexOf(c.Key)))
            {
                string itemPath = $"{path}[{item.Key}]";
                if (IndexOf(item.Key) == int.MaxValue) { errors.Add($"{itemPath}: expected a list index"); continue; }
                var (ok, value) = BindValue(item, itemType, itemPath, errors, null);
                if (ok) list.Add(value);
            }
            return (true, list);
        }
        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var valueType = underlying.GetGenericArguments()[1];
            // A dictionary given in the file replaces the default entries: {"audio": ...} means audio only.
            var dictionary = (IDictionary)Activator.CreateInstance(underlying, StringComparer.OrdinalIgnoreCase)!;
            foreach (var entry in ChildrenOrEmpty(section, path, "an object", errors))
            {
                var (ok, value) = BindValue(entry, valueType, Join(path, entry.Key), errors, null);
                if (ok) dictionary[entry.Key] = value;
            }
            return (true, dictionary);
        }
        if (underlying.IsClass)
        {
            object target = current ?? Activator.CreateInstance(underlying)!;
            BindObject(section, target, path, errors);
            return (true, target);
        }
        errors.Add($"{path}: values of type {underlying.Name} cannot be configured");
        return (false, null);
    }

    /// <summary>An object is one component; a list (keys 0, 1, …) several. A section mixing both (a file's list with a
    /// <c>--set continual.type=…</c> on top) is refused, since which item the value meant is unknown.</summary>
    private static (bool, object?) BindComponents(IConfigurationSection section, string path, List<string> errors)
    {
        var children = section.GetChildren().ToList();
        bool indexed = children.Count > 0 && children.All(c => IndexOf(c.Key) != int.MaxValue);
        if (!indexed)
        {
            if (children.Any(c => IndexOf(c.Key) != int.MaxValue))
            {
                errors.Add($"{path}: give one component (type, options) or a list of them, not both (set a listed one as {path}:0:type)");
                return (false, null);
            }
            var (ok, single) = BindValue(section, typeof(ComponentConfig), path, errors, null);
            return (ok, ok ? new ComponentList([(ComponentConfig)single!]) : null);
        }
        var list = new ComponentList();
        foreach (var item in children.OrderBy(c => IndexOf(c.Key)))
        {
            var (ok, value) = BindValue(item, typeof(ComponentConfig), $"{path}[{item.Key}]", errors, null);
            if (ok) list.Add((ComponentConfig)value!);
        }
        return (true, list);
    }

    private static IEnumerable<IConfigurationSection> ChildrenOrEmpty(IConfigurationSection section, string path, string expected, List<string> errors)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0 && !string.IsNullOrEmpty(section.Value))
            errors.Add($"{path}: expected {expected}, found the value '{section.Value}'");
        return children;
    }

    private static int IndexOf(string key) => int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : int.MaxValue;

    private static bool IsScalar(Type type)
        => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal);

    private static (bool, object?) ConvertScalar(IConfigurationSection section, Type type, string path, List<string> errors)
    {
        if (section.GetChildren().Any())
        {
            errors.Add($"{path}: expected {Describe(type)}, found an object or list");
            return (false, null);
        }
        string? text = section.Value;
        if (type == typeof(string)) return (true, text ?? "");
        try
        {
            if (string.IsNullOrWhiteSpace(text)) throw new FormatException();
            object value = type.IsEnum
                ? Enum.Parse(type, text, ignoreCase: true)
                : type == typeof(bool) ? bool.Parse(text)
                : Convert.ChangeType(text, type, CultureInfo.InvariantCulture);
            if (value is double d && !double.IsFinite(d) || value is float f && !float.IsFinite(f)) throw new FormatException();
            return (true, value);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or InvalidCastException)
        {
            errors.Add($"{path}: '{text}' is not {Describe(type)}");
            return (false, null);
        }
    }

    private static string Describe(Type type)
    {
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type));
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Int32 or TypeCode.Int64 or TypeCode.Int16 => "an integer",
            TypeCode.Double or TypeCode.Single or TypeCode.Decimal => "a finite number",
            TypeCode.Boolean => "true or false",
            _ => "a " + type.Name,
        };
    }

    private static void Validate(object instance, string path, List<string> errors)
    {
        var results = new List<ValidationResult>();
        var context = new ValidationContext(instance);
        bool valid = Validator.TryValidateObject(instance, context, results, validateAllProperties: true);
        // DataAnnotations skips IValidatableObject once an attribute fails, which hides those errors until the first
        // ones are fixed; ask it anyway (a check that cannot run on the invalid values is left to the next attempt).
        if (!valid && instance is IValidatableObject validatable)
        {
            try
            {
                results.AddRange(validatable.Validate(context).Where(r => !results.Any(seen => seen.ErrorMessage == r.ErrorMessage)));
            }
            catch (Exception e) when (e is ArithmeticException or ArgumentException or InvalidOperationException or NullReferenceException)
            {
            }
        }
        foreach (var result in results)
        {
            var members = result.MemberNames.ToList();
            string where = members.Count == 0 ? path : string.Join(", ", members.Select(m => Join(path, CamelCase(m))));
            errors.Add($"{(where.Length == 0 ? "(root)" : where)}: {ErrorText(result)}");
        }
    }

    private static string ErrorText(ValidationResult result)
    {
        // DataAnnotations messages start with "The field X ..."; the path already names the field.
        string message = result.ErrorMessage ?? "invalid value";
        if (message.StartsWith("The field ", StringComparison.Ordinal))
        {
            int space = message.IndexOf(' ', "The field ".Length);
            if (space > 0) message = message[(space + 1)..];
        }
        return message;
    }

    private static string Accepted(IEnumerable<PropertyInfo> properties)
        => string.Join(", ", properties.Select(p => CamelCase(p.Name)).Order(StringComparer.Ordinal));

    private static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
