using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Backbones.Text;
using Coin.Tests.Support;

namespace Coin.Tests.Modeling;

/// <summary>The chat templates by name, each against the text its family's chat_template renders for one user turn
/// (written out here by hand from those Jinja templates), and the choice a model folder makes.</summary>
public class ChatTemplateTests
{
    private static string Folder(JsonObject? tokenizerConfig)
    {
        string folder = TestPaths.NewTemporaryDirectory("chat-template");
        if (tokenizerConfig is not null) File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), tokenizerConfig.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), "{}");
        return folder;
    }

    [Test]
    public void Qwen2s_template_is_chatml_with_its_default_system_message()
    {
        string qwen = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        var template = FolderChatTemplate.Create("auto", Folder(new JsonObject { ["chat_template"] = qwen }), "<|im_end|>");
        Assert.That(template.Name, Is.EqualTo("chatml"));
        Assert.That(template.FormatPrompt("<image>\nWhat is it?"),
            Is.EqualTo("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\nWhat is it?<|im_end|>\n<|im_start|>assistant\n"));
        Assert.That(template.FormatAnswer("red"), Is.EqualTo("red<|im_end|>"));
    }

    [Test]
    public void LLaMA_3s_template_trims_the_message_and_writes_its_own_begin_token()
    {
        string llama3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
        var template = FolderChatTemplate.Create("auto", Folder(new JsonObject { ["chat_template"] = llama3, ["bos_token"] = "<|begin_of_text|>" }), "<|eot_id|>");
        Assert.That(template.Name, Is.EqualTo("llama3"));
        Assert.That(template.FormatPrompt(" What is it? \n"),
            Is.EqualTo("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is it?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
        Assert.That(template.FormatAnswer("red"), Is.EqualTo("red<|eot_id|>"));
    }

    [Test]
    public void Vicuna_writes_the_BOS_its_tokenizer_adds()
    {
        var withBos = FolderChatTemplate.Create("vicuna_v1", Folder(new JsonObject { ["add_bos_token"] = true, ["bos_token"] = new JsonObject { ["content"] = "<s>" } }), "</s>");
        Assert.That(withBos.FormatPrompt("hi"), Does.StartWith("<s>A chat between a curious human").And.EndWith(" USER: hi ASSISTANT:"));
        var withoutBos = FolderChatTemplate.Create("vicuna_v1", Folder(new JsonObject { ["add_bos_token"] = false }), "</s>");
        Assert.That(withoutBos.FormatPrompt("hi"), Does.StartWith("A chat between"));
    }

    [Test]
    public void LLaVA_NeXT_Mistrals_processor_template_is_mistral_instruct_with_the_tokenizers_BOS()
    {
        // llava-hf/llava-v1.6-mistral-7b-hf's chat_template.json; one user turn renders "[INST] <image>\nWhat is it? [/INST]"
        // and an answer " red</s> ", whose trailing space only separates turns.
        string mistral = "{% for message in messages %}{% if message['role'] == 'system' %}{{ '<<SYS>>\n' + message['content'][0]['text'] + '\n<</SYS>>\n\n' }}{% elif message['role'] == 'user' %}{{ '[INST] ' }}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}{{' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'][0]['text'] + '</s> '}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
        string folder = Folder(new JsonObject { ["add_bos_token"] = true, ["bos_token"] = "<s>" });
        File.WriteAllText(Path.Combine(folder, "chat_template.json"), new JsonObject { ["chat_template"] = mistral }.ToJsonString());
        var template = FolderChatTemplate.Create("auto", folder, "</s>");
        Assert.That(template.Name, Is.EqualTo("mistral_instruct"));
        Assert.That(template.FormatPrompt("<image>\nWhat is it?"), Is.EqualTo("<s>[INST] <image>\nWhat is it? [/INST]"));
        Assert.That(template.FormatAnswer("red"), Is.EqualTo(" red</s>"));
    }

    [Test]
    public void OneVisions_processor_template_is_chatml_without_a_system_message_and_a_space_after_the_role()
    {
        // llava-hf/llava-onevision-qwen2-*'s chat template (as chat_template.jinja); one user turn with one image renders
        // "<|im_start|>user <image>\nWhat is it?<|im_end|><|im_start|>assistant\n". The processor's template wins over
        // the tokenizer's (Qwen2's ChatML with its system message).
        string onevision = "{% for message in messages %}{{'<|im_start|>' + message['role'] + ' '}}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}{% endfor %}{# Render all video then #}{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ '\n' + content['text'] }}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ '\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}{{'<|im_end|>'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
        string folder = Folder(new JsonObject { ["chat_template"] = "{{'<|im_start|>' + message['role'] + '\n'}}" });
        File.WriteAllText(Path.Combine(folder, "chat_template.jinja"), onevision);
        var template = FolderChatTemplate.Create("auto", folder, "<|im_end|>");
        Assert.That(template.Name, Is.EqualTo("chatml_onevision"));
        Assert.That(template.FormatPrompt("<image>\nWhat is it?"), Is.EqualTo("<|im_start|>user <image>\nWhat is it?<|im_end|><|im_start|>assistant\n"));
        Assert.That(template.FormatAnswer("red"), Is.EqualTo("red<|im_end|>"));
    }

    [Test]
    public void Auto_refuses_a_folder_that_names_no_template_it_knows()
    {
        string folder = Folder(new JsonObject { ["chat_template"] = "{{ messages }}" });
        // The option it names; the host puts the backbone's key path in front (model.backbone.options.chatTemplate).
        var error = Assert.Throws<CoinOptionException>(() => FolderChatTemplate.Create("auto", folder, "</s>"))!;
        Assert.That(error.Option, Is.EqualTo("chatTemplate"));
        Assert.That(error.At("model.backbone").Message, Does.StartWith("model.backbone.options.chatTemplate: auto: ")
            .And.Contain("is none Coin recognises (recognised: chatml, chatml_onevision, llama3, mistral_instruct)"));
        Assert.That(Assert.Throws<CoinOptionException>(() => FolderChatTemplate.Create("auto", Folder(null), "</s>"))!.Message, Does.Contain("is missing"));
    }

    [Test]
    public void The_end_token_is_the_one_tokenizer_config_names()
    {
        Assert.That(FolderChatTemplate.EosToken(Folder(new JsonObject { ["eos_token"] = "<|im_end|>" })), Is.EqualTo("<|im_end|>"));
        Assert.That(FolderChatTemplate.EosToken(Folder(new JsonObject { ["eos_token"] = new JsonObject { ["content"] = "</s>", ["special"] = true } })), Is.EqualTo("</s>"));
        Assert.That(FolderChatTemplate.EosToken(Folder(null)), Is.Null);
    }
}
