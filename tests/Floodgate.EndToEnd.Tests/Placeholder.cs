namespace Floodgate.EndToEnd.Tests;
