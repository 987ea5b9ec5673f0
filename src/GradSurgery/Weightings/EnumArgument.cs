using System;

namespace GradSurgery;

/// <summary>Validation of enum-valued arguments, with the allowed names taken from the enum itself.</summary>
internal static class EnumArgument
{
    /// <summary>Returns <paramref name="value"/> when it is a named member of <typeparamref name="TEnum"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not; the message lists the allowed names.</exception>
    public static TEnum Defined<TEnum>(TEnum value, string parameterName)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new ArgumentOutOfRangeException(parameterName, value, $"Allowed {typeof(TEnum).Name} values: {string.Join(", ", Enum.GetNames<TEnum>())}.");
        return value;
    }
}
