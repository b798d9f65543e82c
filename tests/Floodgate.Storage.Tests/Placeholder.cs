namespace Floodgate.Storage.Tests;
