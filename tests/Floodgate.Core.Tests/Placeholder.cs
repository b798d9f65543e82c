namespace Floodgate.Core.Tests;
