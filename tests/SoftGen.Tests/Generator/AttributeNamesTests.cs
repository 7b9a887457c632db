using System;
using System.Linq;
using System.Reflection;
using SoftGen.Generators.Parse;
using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>
/// The generator cannot reference the runtime, so it names the attributes' parameters and properties through the
/// constants in AttributeNames: an int per constructor parameter (its position) and a string per settable property.
/// These tests hold them to the runtime's attribute classes in both directions.
/// </summary>
public class AttributeNamesTests
{
    private static readonly Assembly Runtime = typeof(SoftModelAttribute).Assembly;

    /// <summary>Every public attribute class of the SoftGen namespace: the attributes a model declaration uses.</summary>
    private static Type[] RuntimeAttributes() => Runtime.GetExportedTypes()
        .Where(t => t.Namespace == "SoftGen" && typeof(Attribute).IsAssignableFrom(t))
        .ToArray();

    private static Type[] ConstantClasses() => typeof(AttributeNames).GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic);

    private static FieldInfo[] Constants(Type constants) =>
        constants.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToArray();

    private static string MetadataName(Type constants) =>
        (string)constants.GetField("MetadataName", BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    private static PropertyInfo[] SettableProperties(Type attribute) => attribute
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.DeclaringType == attribute && p.SetMethod is { IsPublic: true })
        .ToArray();

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);

    [Fact]
    public void EveryConstantNamesARealAttributeMember()
    {
        Assert.NotEmpty(ConstantClasses());
        foreach (var constants in ConstantClasses())
        {
            var attribute = Runtime.GetType(MetadataName(constants));
            Assert.True(attribute is not null, constants.Name + ".MetadataName names no runtime type");
            Assert.True(typeof(Attribute).IsAssignableFrom(attribute));
            Assert.Equal(constants.Name + "Attribute", attribute!.Name);
            var parameters = attribute.GetConstructors().SelectMany(c => c.GetParameters()).ToArray();
            foreach (var field in Constants(constants).Where(f => f.Name != "MetadataName"))
            {
                switch (field.GetRawConstantValue())
                {
                    case int position:
                        Assert.True(parameters.Any(p => p.Name == Camel(field.Name) && p.Position == position),
                            $"{constants.Name}.{field.Name} = {position}: {attribute.Name} has no constructor parameter {Camel(field.Name)} at that position");
                        break;
                    case string name:
                        Assert.Equal(field.Name, name);
                        Assert.True(SettableProperties(attribute).Any(p => p.Name == name),
                            $"{constants.Name}.{field.Name}: {attribute.Name} has no public settable property {name}");
                        break;
                    default:
                        Assert.Fail($"{constants.Name}.{field.Name} is neither a position nor a property name");
                        break;
                }
            }
        }
    }

    [Fact]
    public void EveryRuntimeAttributeMemberHasItsConstant()
    {
        var classes = ConstantClasses();
        foreach (var attribute in RuntimeAttributes())
        {
            var constants = classes.SingleOrDefault(c => MetadataName(c) == attribute.FullName);
            Assert.True(constants is not null, $"AttributeNames has no class for {attribute.FullName}");
            var fields = Constants(constants!);
            foreach (var parameter in attribute.GetConstructors().SelectMany(c => c.GetParameters()))
            {
                var field = fields.SingleOrDefault(f => Camel(f.Name) == parameter.Name && f.GetRawConstantValue() is int);
                Assert.True(field is not null, $"AttributeNames.{constants!.Name} has no position constant for parameter {parameter.Name}");
                Assert.Equal(parameter.Position, (int)field!.GetRawConstantValue()!);
            }
            foreach (var property in SettableProperties(attribute))
                Assert.True(fields.Any(f => f.GetRawConstantValue() as string == property.Name),
                    $"AttributeNames.{constants!.Name} has no constant for property {property.Name}");
        }
    }

    [Fact]
    public void OrphanCheckCoversEveryLayerAndLossAttribute()
    {
        var expected = RuntimeAttributes().Select(t => t.FullName).Where(n => n != typeof(SoftModelAttribute).FullName).OrderBy(n => n);
        Assert.Equal(expected, AttributeNames.LayersAndLosses.OrderBy(n => n));
    }
}
